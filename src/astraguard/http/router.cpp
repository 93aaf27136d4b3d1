#include "astraguard/http/router.hpp"

namespace astraguard::http {

std::string_view PathParams::Get(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (names_[i] == name) return values_[i];
  }
  return {};
}

Route& Router::Add(std::string method, std::string pattern, Role role, RouteHandler handler) {
  routes_.reserve(64);  // Route references handed out at registration stay valid
  routes_.push_back({std::move(method), std::move(pattern), role, std::move(handler)});
  return routes_.back();
}

bool Router::MatchPattern(std::string_view pattern, std::string_view path, PathParams& params) {
  params.size_ = 0;
  while (!pattern.empty() && !path.empty()) {
    if (pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    size_t pe = pattern.find('/');
    size_t qe = path.find('/');
    std::string_view pseg = pattern.substr(0, pe);
    std::string_view qseg = path.substr(0, qe);
    if (pseg.size() > 2 && pseg.front() == '{' && pseg.back() == '}') {
      if (qseg.empty() || params.size_ == PathParams::kMax) return false;
      params.names_[params.size_] = pseg.substr(1, pseg.size() - 2);
      params.values_[params.size_] = qseg;
      ++params.size_;
    } else if (pseg != qseg) {
      return false;
    }
    pattern.remove_prefix(pseg.size());
    path.remove_prefix(qseg.size());
  }
  return pattern.empty() && path.empty();
}

Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  m.status = 404;
  // RFC 9110 9.3.2: HEAD is GET without the body (the server sends the head only).
  const bool head = method == "HEAD";
  for (const Route& r : routes_) {
    PathParams params;
    if (!MatchPattern(r.pattern, path, params)) continue;
    if (r.method == method || (head && r.method == "GET")) {
      m.route = &r;
      m.status = 200;
      m.params = params;
      m.allow.clear();
      return m;
    }
    m.status = 405;
    m.pattern = r.pattern;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
    if (r.method == "GET") m.allow += ", HEAD";
  }
  return m;
}

std::optional<Role> ParseKeyRole(std::string_view name) {
  for (Role r : kKeyRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

}  // namespace astraguard::http
