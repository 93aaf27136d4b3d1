#pragma once
// Router: maps (method, path) to a registered route template such as
// "/api/v1/anomalies/{id}". Unknown paths give 404; known paths with another method give 405
// and the Allow list. HEAD matches the GET route of a path (RFC 9110); the server then sends
// the head only. Routes are registered at start-up; matching allocates nothing.
//
// Every route declares the Role it requires (http/role.hpp): Add has no default for it, so a
// route without a declared role does not compile.
//
// Thread-safety: Add before serving; Find may then be called concurrently.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/http/message.hpp"
#include "astraguard/http/role.hpp"

namespace astraguard::http {

class PathParams final {
 public:
  // The value of `{name}` in the matched path; empty when absent.
  std::string_view Get(std::string_view name) const;

 private:
  friend class Router;
  static constexpr size_t kMax = 4;
  std::string_view names_[kMax];
  std::string_view values_[kMax];
  size_t size_ = 0;
};

using RouteHandler = std::function<void(const Request&, const PathParams&, Response&)>;

struct Route {
  std::string method;
  std::string pattern;  // the route template, used as the `endpoint` metric label
  Role role;            // the least role allowed to call it
  RouteHandler handler;
  void* tag = nullptr;  // caller data resolved at registration (e.g. metric handles)
};

struct Match {
  const Route* route = nullptr;  // set when status is 200
  int status = 200;              // 200, 404 or 405
  std::string_view pattern;      // the matched template for 405
  std::string allow;             // for 405: "GET, POST"
  PathParams params;
};

class Router final {
 public:
  Route& Add(std::string method, std::string pattern, Role role, RouteHandler handler);
  Match Find(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool MatchPattern(std::string_view pattern, std::string_view path, PathParams& params);
  std::vector<Route> routes_;
};

}  // namespace astraguard::http
