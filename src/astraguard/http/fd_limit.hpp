#pragma once
// Fitting the connection caps to the process's descriptor limit (RLIMIT_NOFILE). Every open
// connection is a descriptor; a cap above the limit means accept() fails with EMFILE before the
// cap's clean 503 can answer. The soft limit is raised towards the hard limit when the caps
// need more; when even the hard limit is short, the API cap is lowered to what fits.
// Thread-safety: call once at start-up (it changes a process-wide limit).

#include <cstdint>

namespace astraguard::http {

// Descriptors kept for everything but connections: listeners, epoll, timers, stdio, the OTLP
// exporter's socket, model and policy files.
inline constexpr uint64_t kReservedFds = 32;

struct FdLimitFit {
  uint64_t soft_before = 0;  // RLIMIT_NOFILE soft limit found at start
  uint64_t soft_after = 0;   // the soft limit now in force
  uint64_t hard = 0;         // RLIMIT_NOFILE hard limit
  uint64_t needed = 0;       // max_connections + max_metrics_connections + kReservedFds
  unsigned max_connections = 0;  // the API cap to use (>= 1)
  bool raised() const { return soft_after > soft_before; }
  bool lowered = false;  // max_connections is below the one asked for
};

FdLimitFit FitConnectionsToFdLimit(unsigned max_connections, unsigned max_metrics_connections);

}  // namespace astraguard::http
