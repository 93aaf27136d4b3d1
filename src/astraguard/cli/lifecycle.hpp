#pragma once
// Lifecycle: what `serve` and `demo` share around an app::App: the CLI's Logger, the lifecycle
// lines (listening, draining, stopped) and the wait for SIGTERM/SIGINT.
//
// The Logger is built from the service's own log settings (format, service, environment,
// version) and writes to stdout like the service's, so every line there is a console line in
// console mode and a complete JSON line in JSON mode. It always logs at info: the listening line
// is the process's contract with scripts (they read api_port=/"api_port": and metrics_port from
// it), whatever LOG_LEVEL says about the service's own lines.
//
// Thread-safety: logger() may be used from any thread; the other methods from the controlling
// thread. Lifetime: construct it before the App, so that it outlives the App and its last lines.

#include <cstdint>
#include <string>

#include "astraguard/common/clock.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/obs/log/logger.hpp"

namespace astraguard::cli {

class Lifecycle final {
 public:
  explicit Lifecycle(const config::Config& config);

  obs::Logger& logger() { return logger_; }

  // Logs "listening" (host, api_port, metrics_port) and returns once it is written.
  void Listening(uint16_t api_port, uint16_t metrics_port);
  // Blocks until SIGTERM or SIGINT, which must be blocked in every thread (BlockShutdownSignals
  // before any thread starts), then logs "draining" with the signal.
  void WaitForShutdown();
  // Logs "stopped"; at warning when the drain timeout expired with requests in progress.
  void Stopped(bool drained);

 private:
  const std::string host_;
  SystemClock clock_;
  obs::Logger logger_;
};

}  // namespace astraguard::cli
