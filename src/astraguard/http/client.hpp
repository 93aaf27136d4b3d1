#pragma once
// HttpClient: a small blocking HTTP/1.1 keep-alive client over one TCP connection, used by the
// demo's telemetry generator, the simulator's poster and the end-to-end tests. It expects
// Content-Length framed responses (what our server sends). Plain POSIX sockets: no Beast.
//
// Not thread-safe: one client per thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"

namespace astraguard::http {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class HttpClient final {
 public:
  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (connecting or reconnecting as needed) and reads the response.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body = {},
                              std::string_view content_type = "application/json",
                              const std::vector<std::pair<std::string, std::string>>& headers = {});

  void Close();

 private:
  Status Connect();
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace astraguard::http
