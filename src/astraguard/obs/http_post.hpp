#pragma once
// A minimal blocking HTTP/1.1 POST client for the OTLP exporter's background thread.
// Plain http only (Jaeger's OTLP receiver inside the deployment network). The connection is
// kept alive between requests; it is reopened when the server closed it (checked before each
// request, and a request that failed on a reused connection before any response byte arrived is
// sent once more on a fresh one), when a response asks for close or is delimited by EOF, and
// after any error. Every step (resolve excepted) is bounded by `deadline` and polled in short
// slices so `cancel` can abort a request in flight.
// Thread-safety: ParseHttpUrl is pure; an HttpPostClient is used by one thread at a time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"

namespace astraguard::obs {

struct HttpUrl {
  std::string host;  // name or IPv4/IPv6 literal without brackets
  std::uint16_t port = 80;
  std::string path = "/";   // path and query
  std::string host_header;  // "host:port" as sent in Host
};

// Accepts "http://host[:port][/path]". https and other schemes are rejected with a message.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::optional<std::chrono::seconds> retry_after;  // Retry-After given in seconds
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpPostClient {
 public:
  explicit HttpPostClient(HttpUrl url) : url_(std::move(url)) {}
  ~HttpPostClient() { Close(); }
  HttpPostClient(const HttpPostClient&) = delete;
  HttpPostClient& operator=(const HttpPostClient&) = delete;

  // Sends one POST to the URL's path and reads the response. The body is the concatenation of
  // `body` (at most 3 parts, sent from the caller's buffers without copying). Returns
  // kUnavailable for connection errors, timeouts and cancellation (message says which),
  // kInternal for unparsable responses.
  Result<HttpResponse> Post(std::string_view content_type, const HttpHeaders& headers,
                            std::initializer_list<std::string_view> body,
                            std::chrono::steady_clock::time_point deadline,
                            const std::atomic<bool>* cancel = nullptr);

  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  Status Connect(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel);
  void Close();

  const HttpUrl url_;
  int fd_ = -1;
  std::uint64_t connections_opened_ = 0;
};

}  // namespace astraguard::obs
