#pragma once
// AccessControl: the API's access policy around every matched route, in the order the request
// middleware (app/) applies it:
//   1. authentication: the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`, hashed
//      with SHA-256 and compared with every configured digest in constant time; missing,
//      malformed or unknown -> 401 with `WWW-Authenticate: Bearer realm="astraguard"` (each
//      failed attempt takes a token from the client address's anonymous bucket: 429 when empty);
//   2. authorization: the key's role must grant the route's role (viewer < operator < admin),
//      else 403;
//   3. rate limiting: a token bucket per key (per client address for anonymous callers), rate
//      and burst by role; empty -> 429 with Retry-After (whole seconds), counted in
//      astra_rate_limited_total{role}.
// Public routes (probes, /metrics) skip all three. Without keys (development) nobody is
// authenticated, every caller is anonymous and only the rate limit applies.
// CORS: a request whose Origin is listed gets Access-Control-Allow-Origin (that origin, with
// credentials allowed; `*` only when configured, and then never with credentials); an unlisted
// origin gets no CORS header. OPTIONS on a known path is answered 204 with Allow, plus the
// preflight headers for a listed origin.
// Nothing here logs or traces a key: callers get the key's short id only.
//
// Thread-safe: all methods may be called concurrently.
// Lifetime: the limiter and the registry must outlive it.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/auth/api_keys.hpp"
#include "astraguard/auth/rate_limiter.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/http/message.hpp"
#include "astraguard/http/role.hpp"

namespace astraguard::auth {

struct CorsConfig {
  std::vector<std::string> origins;  // exact origins, e.g. "http://localhost:3000"
  bool any_origin = false;           // "*" was listed: any origin, without credentials
};

// The original's default: http://localhost:3000,http://localhost:8080,http://127.0.0.1:3000.
CorsConfig DefaultCors();
// Comma-separated origins (scheme://host[:port], no path) or "*"; empty: no CORS.
Result<CorsConfig> ParseOrigins(std::string_view list);
// "rate:burst" in requests per second, e.g. "50:100"; "0:0" (or rate 0) is unlimited.
Result<RateLimit> ParseRateLimit(std::string_view spec);

// Callers by rate-limit class: anonymous (index of Role::kPublic), viewer, operator, admin.
inline constexpr std::string_view kCallerClasses[] = {"anonymous", "viewer", "operator", "admin"};

struct AccessConfig {
  AuthConfig auth;
  std::array<RateLimit, 4> rate_limits{};  // by caller class (http::Role as index)
  CorsConfig cors = DefaultCors();
};

struct Caller {
  http::Role role = http::Role::kPublic;  // kPublic: anonymous
  std::string key_id;                     // empty when anonymous
  std::string_view class_name() const { return kCallerClasses[static_cast<size_t>(role)]; }
};

class AccessControl final {
 public:
  AccessControl(const AccessConfig& config, RateLimiter& limiter, prometheus::Registry& registry);

  bool auth_enabled() const { return config_.auth.enabled(); }

  // Authenticates, authorizes and rate-limits a request for a route that requires `required`.
  // True: the handler may run (`caller` says who called). False: `res` holds the problem.
  bool Admit(const http::Request& req, http::Role required, std::string_view route,
             std::chrono::steady_clock::time_point now, http::Response& res, Caller& caller);

  // CORS headers for a listed Origin (any response).
  void AddCorsHeaders(const http::Request& req, http::Response& res) const;
  // OPTIONS on a known path whose methods are `allow`: 204, Allow, and the preflight headers
  // when the origin is listed.
  void Preflight(const http::Request& req, std::string_view allow, http::Response& res) const;

 private:
  // The configured key presented by the request, or the 401 detail in `error`.
  const ApiKey* Authenticate(const http::Request& req, std::string& error) const;
  bool OriginAllowed(std::string_view origin) const;
  // Takes a token from `bucket` at the caller's class limit; on refusal writes the 429.
  bool Acquire(std::string_view bucket, const Caller& caller,
               std::chrono::steady_clock::time_point now, http::Response& res);

  const AccessConfig config_;
  RateLimiter& limiter_;
  std::array<prometheus::Counter*, 4> rate_limited_{};
};

}  // namespace astraguard::auth
