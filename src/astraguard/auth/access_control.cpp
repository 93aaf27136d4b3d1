#include "astraguard/auth/access_control.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cmath>

#include "astraguard/http/problem.hpp"

namespace astraguard::auth {
namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr std::string_view kChallenge = "Bearer realm=\"astraguard\"";
constexpr std::string_view kAllowHeaders =
    "Content-Type, Authorization, X-API-Key, Accept, traceparent, tracestate";
constexpr std::string_view kExposeHeaders = "Retry-After, WWW-Authenticate, traceparent";

}  // namespace

CorsConfig DefaultCors() {
  return {{"http://localhost:3000", "http://localhost:8080", "http://127.0.0.1:3000"}, false};
}

Result<CorsConfig> ParseOrigins(std::string_view list) {
  CorsConfig out;
  size_t item = 1;
  for (size_t start = 0; start <= list.size(); ++item) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view origin = Trim(list.substr(start, comma - start));
    start = comma + 1;
    if (origin.empty()) {
      if (list.find_first_not_of(" \t") == std::string_view::npos) break;  // empty list
      return Invalid(fmt::format("item {}: empty origin", item));
    }
    if (origin == "*") {
      out.any_origin = true;
      continue;
    }
    const size_t scheme = origin.find("://");
    const std::string_view s = origin.substr(0, scheme);
    if (scheme == std::string_view::npos || (s != "http" && s != "https") ||
        origin.size() == scheme + 3 ||
        origin.find_first_of("/?#@ ", scheme + 3) != std::string_view::npos) {
      return Invalid(
          fmt::format("item {}: '{}' is not an origin (scheme://host[:port], no path or slash)",
                      item, origin.substr(0, 200)));
    }
    out.origins.emplace_back(origin);
  }
  return out;
}

Result<RateLimit> ParseRateLimit(std::string_view spec) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos) return Invalid("expected rate:burst, e.g. 50:100");
  RateLimit out;
  auto number = [](std::string_view s, double& v) {
    s = Trim(s);
    std::string text(s);
    char* end = nullptr;
    v = std::strtod(text.c_str(), &end);
    return !text.empty() && end == text.c_str() + text.size() && std::isfinite(v) && v >= 0 &&
           v <= 1e9;
  };
  if (!number(spec.substr(0, colon), out.per_second)) {
    return Invalid("rate must be a number of requests per second in 0..1e9");
  }
  if (!number(spec.substr(colon + 1), out.burst))
    return Invalid("burst must be a number in 0..1e9");
  if (!out.unlimited() && out.burst < 1) return Invalid("burst must be at least 1 when rate > 0");
  return out;
}

AccessControl::AccessControl(const AccessConfig& config, RateLimiter& limiter,
                             prometheus::Registry& registry)
    : config_(config), limiter_(limiter) {
  auto& family = prometheus::BuildCounter()
                     .Name("astra_rate_limited_total")
                     .Help(
                         "Requests refused with 429 by the rate limiter, by caller role "
                         "(anonymous: no key).")
                     .Register(registry);
  for (size_t i = 0; i < rate_limited_.size(); ++i) {
    rate_limited_[i] = &family.Add({{"role", std::string(kCallerClasses[i])}});
  }
}

const ApiKey* AccessControl::Authenticate(const http::Request& req, std::string& error) const {
  std::string_view presented;
  if (!req.authorization.empty()) {
    const std::string_view auth = Trim(req.authorization);
    const size_t space = auth.find(' ');
    if (space == std::string_view::npos || !IEquals(auth.substr(0, space), "Bearer")) {
      error = "malformed Authorization header: expected 'Bearer <key>'";
      return nullptr;
    }
    presented = Trim(auth.substr(space + 1));
    if (presented.empty()) {
      error = "malformed Authorization header: empty key";
      return nullptr;
    }
    if (!req.x_api_key.empty()) {
      error = "send the key in Authorization or in X-API-Key, not both";
      return nullptr;
    }
  } else {
    presented = Trim(req.x_api_key);
    if (presented.empty()) {
      error = "API key required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'";
      return nullptr;
    }
  }
  const Digest digest = Sha256(presented);
  // Every digest is compared, in constant time, whichever matches.
  const ApiKey* found = nullptr;
  for (const ApiKey& k : config_.auth.keys) {
    const bool same = CRYPTO_memcmp(k.digest.data(), digest.data(), digest.size()) == 0;
    found = same ? &k : found;
  }
  if (found == nullptr) error = "unknown API key";
  return found;
}

bool AccessControl::Admit(const http::Request& req, http::Role required, std::string_view route,
                          std::chrono::steady_clock::time_point now, http::Response& res,
                          Caller& caller) {
  if (required == http::Role::kPublic) return true;
  auto address_bucket = [&req] { return std::string("a:").append(req.client_address); };
  if (!auth_enabled()) return Acquire(address_bucket(), caller, now, res);
  std::string error;
  const ApiKey* key = Authenticate(req, error);
  const char* header =
      req.authorization.empty() && !req.x_api_key.empty() ? "X-API-Key" : "Authorization";
  if (key == nullptr) {
    // Failed attempts draw on the client address's anonymous bucket, so that guessing keys is
    // rate-limited too.
    if (!Acquire(address_bucket(), caller, now, res)) return false;
    http::WriteProblem(401, error, {{header, error}}, res);
    res.headers.emplace_back("WWW-Authenticate", std::string(kChallenge));
    return false;
  }
  caller.role = key->role;
  caller.key_id = key->id;
  if (!http::Grants(key->role, required)) {
    http::WriteProblem(
        403,
        fmt::format("role {} may not call {} {} (needs {})", http::RoleName(key->role),
                    req.method, route, http::RoleName(required)),
        {{header, fmt::format("the key's role {} is below {}", http::RoleName(key->role),
                              http::RoleName(required))}},
        res);
    return false;
  }
  return Acquire(
      std::string_view(reinterpret_cast<const char*>(key->digest.data()), key->digest.size()),
      caller, now, res);
}

bool AccessControl::Acquire(std::string_view bucket, const Caller& caller,
                            std::chrono::steady_clock::time_point now, http::Response& res) {
  const size_t cls = static_cast<size_t>(caller.role);
  const RateDecision d = limiter_.Acquire(bucket, config_.rate_limits[cls], now);
  if (d.allowed) return true;
  rate_limited_[cls]->Increment();
  const auto seconds = std::max<int64_t>(1, (d.retry_after.count() + 999) / 1000);
  http::WriteProblem(429,
                     fmt::format("rate limit of the {} role exceeded; retry in {} s",
                                 caller.class_name(), seconds),
                     res);
  res.headers.emplace_back("Retry-After", std::to_string(seconds));
  return false;
}

bool AccessControl::OriginAllowed(std::string_view origin) const {
  for (const std::string& o : config_.cors.origins) {
    if (o == origin) return true;
  }
  return false;
}

void AccessControl::AddCorsHeaders(const http::Request& req, http::Response& res) const {
  if (req.origin.empty()) return;
  if (OriginAllowed(req.origin)) {
    res.headers.emplace_back("Access-Control-Allow-Origin", std::string(req.origin));
    res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    res.headers.emplace_back("Vary", "Origin");
  } else if (config_.cors.any_origin) {
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    return;
  }
  res.headers.emplace_back("Access-Control-Expose-Headers", std::string(kExposeHeaders));
}

void AccessControl::Preflight(const http::Request& req, std::string_view allow,
                              http::Response& res) const {
  res.status = 204;
  res.body.clear();
  const std::string methods = fmt::format("{}, OPTIONS", allow);
  res.headers.emplace_back("Allow", methods);
  if (req.origin.empty() || (!OriginAllowed(req.origin) && !config_.cors.any_origin)) return;
  AddCorsHeaders(req, res);
  res.headers.emplace_back("Access-Control-Allow-Methods", methods);
  res.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowHeaders));
  res.headers.emplace_back("Access-Control-Max-Age", "600");
}

}  // namespace astraguard::auth
