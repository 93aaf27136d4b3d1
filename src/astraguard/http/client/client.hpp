#pragma once
// HttpClient: the one HTTP client of the code base, a small blocking HTTP/1.1 keep-alive client
// over one TCP connection. Used by the OTLP trace exporter's thread, the demo's telemetry
// generator, the simulator's poster (`astraguard simulate`, also the load generator) and the
// end-to-end tests. Plain POSIX sockets: no Beast, no TLS, no redirects.
//
// Requests: per-request headers; a body given as several parts is sent from the caller's
// buffers with one gathered write (sendmsg), never joined into a copy. Responses: bodies may be
// Content-Length framed, chunked, or (without either) delimited by the server closing the
// connection; header names compare case-insensitively. Host names resolve via getaddrinfo
// (IPv4 or IPv6; resolution itself is not bounded by the deadline).
//
// Time: every request has one deadline covering connect, send and receive (its own, or now +
// the client's `timeout`); running out of it, or `cancel` becoming true (polled every 50 ms),
// fails the request with kUnavailable and drops the connection.
//
// Connections: kept alive between requests; closed after a response that asks for it or is
// delimited by EOF, and after any error. An idle connection the server has closed is noticed
// before it is reused; a request that fails on a reused connection before any response byte
// arrived (the server closed it just as we sent) is sent once more on a fresh one. Nothing is
// resent after a timeout or on a fresh connection.
//
// Not thread-safe: one client per thread. ParseUrl is a pure function.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"

namespace astraguard::http {

// An http URL split for HttpClient.
struct Url {
  std::string host;  // name or IPv4/IPv6 literal, without brackets
  uint16_t port = 80;
  std::string path = "/";  // path and query
};

// Accepts "http://host[:port][/path]" and the same without a scheme; IPv6 literals in brackets.
// kInvalidArgument, with a message naming the problem, for https:// (no TLS here) or any other
// scheme, user info, an empty host, or a port outside 1..65535.
Result<Url> ParseUrl(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  // Retry-After given in delta-seconds (an HTTP-date is ignored).
  std::optional<std::chrono::seconds> RetryAfter() const;
};

struct ClientRequest {
  std::string_view method = "GET";
  std::string_view target = "/";
  // The body, as parts sent one after another (at most kMaxBodyParts).
  std::span<const std::string_view> body = {};
  // Sent with Content-Length when the body is non-empty or the method is POST.
  std::string_view content_type = "application/json";
  const Headers* headers = nullptr;  // extra header lines, sent as given
  // Default (zero): now + the client's timeout.
  std::chrono::steady_clock::time_point deadline = {};
  // When set and it becomes true, the request in flight is abandoned.
  const std::atomic<bool>* cancel = nullptr;
};

class HttpClient final {
 public:
  static constexpr std::size_t kMaxBodyParts = 7;

  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  explicit HttpClient(const Url& url, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : HttpClient(url.host, url.port, timeout) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (connecting or reconnecting as needed) and reads the full response.
  // kUnavailable on resolve/connect/IO errors, timeouts, cancellation or a connection closed
  // mid-response; kInternal for an unparsable response; kInvalidArgument for too many parts.
  Result<ClientResponse> Send(const ClientRequest& request);
  // The same for a body in one piece.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body = {},
                              std::string_view content_type = "application/json",
                              const Headers& headers = {});

  void Close();
  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  Status Connect(Deadline deadline, const std::atomic<bool>* cancel);
  // Reads one response to `method`; *received counts the bytes read.
  Result<ClientResponse> ReadResponse(std::string_view method, Deadline deadline,
                                      const std::atomic<bool>* cancel, size_t* received);
  // Appends what the socket has to buffer_: true for bytes, false at EOF, an error otherwise.
  Result<bool> Fill(Deadline deadline, const std::atomic<bool>* cancel, size_t* received);

  std::string host_;
  uint16_t port_;
  std::string host_header_;  // "host:port", IPv6 in brackets
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;  // bytes received but not yet consumed
  std::uint64_t connections_opened_ = 0;
  bool peer_closed_ = false;  // the last Fill saw EOF or a reset
};

}  // namespace astraguard::http
