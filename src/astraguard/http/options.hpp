#pragma once
// ServerOptions: the HTTP server's settings (listeners, limits, timeouts). Filled by config/
// from the environment and flags; the server reads nothing else.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace astraguard::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8000;           // API listener; 0 picks a free port
  uint16_t metrics_port = 9090;   // /metrics-only listener; 0 picks a free port
  unsigned io_threads = 0;        // 0: one per core
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 8 << 10;
  unsigned max_connections = 10000;       // API listener; lowered at start to fit RLIMIT_NOFILE
  unsigned max_metrics_connections = 16;  // /metrics listener: its own cap, so that a full API
                                          // listener never blinds monitoring
  // API requests in progress (being read or handled) beyond which a further one is read and
  // answered 503 + Retry-After without running its handler: past capacity the work admitted
  // stays bounded instead of every request waiting longer. The metrics listener (/metrics,
  // /health*) is never shed.
  unsigned max_in_flight = 1000;
  std::chrono::milliseconds read_timeout{10000};   // from first byte to full request
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait for the next request
  std::chrono::milliseconds drain_timeout{10000};  // graceful shutdown budget
};

}  // namespace astraguard::http
