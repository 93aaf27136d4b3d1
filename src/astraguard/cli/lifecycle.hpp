#pragma once
// Lifecycle: what `serve` and `demo` share around an app::App: the lifecycle lines (listening,
// draining, stopped) and the wait for SIGTERM/SIGINT.
//
// The lines go through the App's own Logger, so stdout has one writer and its lines keep their
// order. They are written with Logger::Notice (info whatever LOG_LEVEL says): the listening
// line is the process's contract with scripts (they read api_port=/"api_port": and
// metrics_port from it).
//
// Thread-safety: from the controlling thread only. Lifetime: `logger` (the App's) must outlive
// the Lifecycle.

#include <cstdint>
#include <string>

#include "astraguard/config/config.hpp"
#include "astraguard/obs/log/logger.hpp"

namespace astraguard::cli {

class Lifecycle final {
 public:
  Lifecycle(const config::Config& config, obs::Logger& logger);

  // Logs "listening" (host, api_port, metrics_port) and returns once it is written.
  void Listening(uint16_t api_port, uint16_t metrics_port);
  // Blocks until SIGTERM or SIGINT, which must be blocked in every thread (BlockShutdownSignals
  // before any thread starts), then logs "draining" with the signal.
  void WaitForShutdown();
  // Logs "stopped"; at warning when the drain timeout expired with requests in progress.
  void Stopped(bool drained);

 private:
  const std::string host_;
  obs::Logger& logger_;
};

}  // namespace astraguard::cli
