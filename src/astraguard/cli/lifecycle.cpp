#include "astraguard/cli/lifecycle.hpp"

#include <csignal>

namespace astraguard::cli {
namespace {

constexpr std::string_view kLogger = "astraguard.cli";

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Lifecycle::Lifecycle(const config::Config& config, obs::Logger& logger)
    : host_(config.server.host), logger_(logger) {}

void Lifecycle::Listening(uint16_t api_port, uint16_t metrics_port) {
  logger_.Notice(kLogger, "listening",
                 {{"host", host_}, {"api_port", api_port}, {"metrics_port", metrics_port}});
  logger_.Flush();
}

void Lifecycle::WaitForShutdown() {
  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  logger_.Notice(kLogger, "draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  logger_.Flush();
}

void Lifecycle::Stopped(bool drained) {
  if (drained)
    logger_.Notice(kLogger, "stopped", {{"drained", true}});
  else
    logger_.Warning(kLogger, "stopped", {{"drained", false}});
  logger_.Flush();
}

}  // namespace astraguard::cli
