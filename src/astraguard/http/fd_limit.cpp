#include "astraguard/http/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace astraguard::http {

FdLimitFit FitConnectionsToFdLimit(unsigned max_connections, unsigned max_metrics_connections) {
  FdLimitFit fit;
  fit.needed = uint64_t{max_connections} + max_metrics_connections + kReservedFds;
  fit.max_connections = max_connections;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return fit;  // unknown: keep what was asked for
  fit.soft_before = fit.soft_after = lim.rlim_cur;
  fit.hard = lim.rlim_max;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < fit.needed) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? fit.needed
                                                    : std::min<rlim_t>(lim.rlim_max, fit.needed);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) fit.soft_after = raised.rlim_cur;
  }
  if (fit.soft_after != RLIM_INFINITY && fit.soft_after < fit.needed) {
    const uint64_t others = uint64_t{max_metrics_connections} + kReservedFds;
    const uint64_t room = fit.soft_after > others ? fit.soft_after - others : 0;
    fit.max_connections = static_cast<unsigned>(std::max<uint64_t>(1, room));
    fit.lowered = fit.max_connections < max_connections;
  }
  return fit;
}

}  // namespace astraguard::http
