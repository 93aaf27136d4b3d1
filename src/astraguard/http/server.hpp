#pragma once
// Server: the HTTP/1.1 front door (Boost.Beast over Asio), two listeners (API and
// /metrics-only), keep-alive, and the protections that keep slow or hostile clients from pinning
// it: header (8 KiB) and body limits, a connection cap per listener (fitted to RLIMIT_NOFILE at
// start), read and idle timeouts that no phase of a request escapes, accept back-off when
// descriptors run out, strict message framing (RFC 9112: Host required, only `chunked` as the
// sole transfer coding), HEAD answered with the head only, and graceful drain. Everything protocol-level (timeouts, limits, malformed HTTP) is answered here with a
// problem+json body; well-formed requests go to the handler.
//
// Thread-safety: Start/BeginDrain/WaitIdle/Stop from one controlling thread; the handler is
// called concurrently from the io threads and must be thread-safe. The handler and metrics must
// outlive the Server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "astraguard/common/status.hpp"
#include "astraguard/http/options.hpp"
#include "astraguard/http/fd_limit.hpp"
#include "astraguard/http/message.hpp"
#include "astraguard/obs/metrics/metrics.hpp"

namespace astraguard::http {

using Handler = std::function<void(const Request&, Response&)>;

class Server final {
 public:
  // `rejected` counts requests answered by the server itself (malformed HTTP, limits, timeouts).
  Server(const ServerOptions& config, Handler handler, obs::Metrics& metrics,
         obs::RouteMetrics& rejected);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Fits the connection caps to RLIMIT_NOFILE (see fd_limit.hpp), binds both listeners and
  // starts the io threads. Fails with kUnavailable naming the address when a port cannot be
  // bound.
  Status Start();
  // What Start did to fit the caps to the descriptor limit.
  const FdLimitFit& fd_limit() const;
  uint16_t api_port() const;
  uint16_t metrics_port() const;

  // Stops accepting; idle keep-alive connections are closed; requests in progress finish and
  // are answered with `Connection: close`.
  void BeginDrain();
  bool draining() const;
  // Requests being read or handled now, on both listeners (the depth of the request queue).
  int64_t in_flight() const;
  // API requests answered 503 because max_in_flight admitted ones were already in progress.
  uint64_t shed_total() const;
  // Waits until no request is in progress or the deadline passes; true when idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  // Stops the io threads and closes every connection.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astraguard::http
