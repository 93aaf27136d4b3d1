#pragma once
// A minimal blocking HTTP/1.1 POST client for the OTLP exporter's background thread.
// Plain http only (Jaeger's OTLP receiver inside the deployment network); one connection per
// request ("Connection: close"). Every step (resolve excepted) is bounded by `deadline` and
// polled in short slices so `cancel` can abort a request in flight.
// Thread-safety: functions are reentrant; no shared state.

#include <atomic>
#include <chrono>
#include <cstdint>
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

// Sends one POST and reads the response. Returns kUnavailable for connection errors,
// timeouts and cancellation (message says which), kInternal for unparsable responses.
Result<HttpResponse> HttpPost(const HttpUrl& url, std::string_view content_type,
                              const HttpHeaders& headers, std::string_view body,
                              std::chrono::steady_clock::time_point deadline,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace astraguard::obs
