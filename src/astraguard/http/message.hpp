#pragma once
// Request and Response: the transport-neutral view of one HTTP exchange that handlers see.
// Keeps Boost.Beast out of every translation unit but server.cpp.
// Lifetime: a Request's string_views borrow from the connection's buffers and are valid only
// during the handler call.

#include <cstdint>
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace astraguard::http {

struct Request {
  std::string_view method{};        // "GET", "POST", ...
  std::string_view target{};        // path and query, as sent
  std::string_view content_type{};  // empty when absent
  std::string_view body{};
  std::string_view traceparent{};  // W3C trace context headers, empty when absent
  std::string_view tracestate{};
  std::string_view authorization{};
  std::string_view x_api_key{};  // X-API-Key
  std::string_view origin{};     // CORS: Origin, Access-Control-Request-Method
  std::string_view access_control_request_method{};
  std::string_view user_agent{};
  std::string_view client_address{};
  uint16_t local_port = 0;
  bool metrics_listener = false;  // arrived on the /metrics-only listener

  std::string_view path() const { return target.substr(0, target.find('?')); }
  std::string_view query() const {
    size_t q = target.find('?');
    return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // W3C traceparent returned to the client ("00-<trace-id>-<span-id>-<flags>", 55 characters),
  // not sent when traceparent_size is 0. Inline: the per-request header allocates nothing.
  std::array<char, 55> traceparent{};
  std::size_t traceparent_size = 0;
};

}  // namespace astraguard::http
