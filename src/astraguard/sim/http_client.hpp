#pragma once
// HttpClient: a small blocking HTTP/1.1 client over one plain TCP socket with keep-alive, used by
// the simulator to post telemetry to a running service (and so as the load generator). It is not
// a general client: no TLS, no redirects, IPv4/IPv6 host names via getaddrinfo.
//
// Not thread-safe: one client per thread. Reconnects transparently when the server closed an
// idle keep-alive connection (one retry on a fresh connection if nothing was received).

#include <chrono>
#include <string>
#include <string_view>

#include "astraguard/common/status.hpp"

namespace astraguard::sim {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(std::string host, int port, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method path` with the body (Content-Type application/json when non-empty) and reads
  // the full response (Content-Length or chunked). kUnavailable on connect/IO/timeout errors.
  Result<HttpResponse> Request(std::string_view method, std::string_view path,
                               std::string_view body);

 private:
  Status Connect();
  void Close();
  Result<HttpResponse> RoundTrip(const std::string& request);

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;  // bytes received but not yet consumed
};

// Splits "http://host:port" (scheme optional, default port 80) into host and port.
Result<std::pair<std::string, int>> ParseHostPort(std::string_view url);

}  // namespace astraguard::sim
