#pragma once
// HttpClient: a small blocking HTTP/1.1 keep-alive client over one TCP connection, used by the
// demo's telemetry generator, the simulator's poster (`astraguard simulate`, also the load
// generator) and the end-to-end tests. Plain POSIX sockets: no Beast, no TLS, no redirects.
// Response bodies may be Content-Length framed, chunked, or (without either) delimited by the
// server closing the connection. Host names resolve via getaddrinfo (IPv4 or IPv6).
//
// Timeouts: `timeout` bounds connect and every single send/recv (SO_SNDTIMEO/SO_RCVTIMEO); a
// timeout surfaces as a kUnavailable error and drops the connection.
//
// Not thread-safe: one client per thread. Reconnects transparently when the server closed an
// idle keep-alive connection (one retry on a fresh connection if nothing was received).

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

  // Sends one request (connecting or reconnecting as needed) and reads the full response.
  // Content-Type and Content-Length are sent when the body is non-empty or the method is POST.
  // kUnavailable on resolve/connect/IO/timeout errors or a connection closed mid-response.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body = {},
                              std::string_view content_type = "application/json",
                              const std::vector<std::pair<std::string, std::string>>& headers = {});

  void Close();

 private:
  Status Connect();
  // Reads one response to `method` from the socket; *received counts the bytes read.
  Result<ClientResponse> ReadResponse(std::string_view method, size_t* received);
  bool Fill(size_t* received);

  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;  // bytes received but not yet consumed
};

// Splits "http://host:port[/...]" (scheme optional, default port 80) into host and port.
// kInvalidArgument for an empty host or a port outside 1..65535.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view url);

}  // namespace astraguard::http
