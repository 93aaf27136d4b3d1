#pragma once
// Role: the access level a route requires and an API key grants, ordered so that a higher role
// may do everything a lower one may (viewer < operator < admin). kPublic is for routes only
// (probes, /metrics with its own basic auth): no key is needed. Every route declares one at
// registration (Router::Add); the auth component checks it.
// Thread-safety: values and pure functions.

#include <cstdint>
#include <optional>
#include <string_view>

namespace astraguard::http {

enum class Role : uint8_t { kPublic = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };

// The key roles, lowest first.
inline constexpr Role kKeyRoles[] = {Role::kViewer, Role::kOperator, Role::kAdmin};

// "public", "viewer", "operator", "admin".
constexpr std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kPublic:
      return "public";
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "public";
}

// A key role by name ("viewer", "operator", "admin"); nullopt otherwise (also for "public").
std::optional<Role> ParseKeyRole(std::string_view name);

constexpr bool Grants(Role granted, Role required) {
  return static_cast<uint8_t>(granted) >= static_cast<uint8_t>(required);
}

}  // namespace astraguard::http
