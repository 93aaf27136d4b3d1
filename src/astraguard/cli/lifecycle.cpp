#include "astraguard/cli/lifecycle.hpp"

#include <unistd.h>

#include <csignal>
#include <memory>

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

obs::LogConfig CliLogConfig(const obs::LogConfig& service) {
  obs::LogConfig c = service;
  c.level = obs::LogLevel::kInfo;
  c.queue_capacity = 256;  // a few lines a second at most
  return c;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Lifecycle::Lifecycle(const config::Config& config)
    : host_(config.server.host),
      logger_(CliLogConfig(config.log), std::make_unique<obs::FdLogSink>(STDOUT_FILENO),
              clock_) {}

void Lifecycle::Listening(uint16_t api_port, uint16_t metrics_port) {
  logger_.Info(kLogger, "listening",
               {{"host", host_}, {"api_port", api_port}, {"metrics_port", metrics_port}});
  logger_.Flush();
}

void Lifecycle::WaitForShutdown() {
  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  logger_.Info(kLogger, "draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  logger_.Flush();
}

void Lifecycle::Stopped(bool drained) {
  logger_.Log(drained ? obs::LogLevel::kInfo : obs::LogLevel::kWarning, kLogger, "stopped",
              {{"drained", drained}});
  logger_.Flush();
}

}  // namespace astraguard::cli
