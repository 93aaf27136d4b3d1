#include <csignal>
#include <iostream>

#include <fmt/format.h>

#include "astraguard/app/app.hpp"
#include "astraguard/cli/commands.hpp"
#include "astraguard/ingest/timestamp.hpp"

namespace astraguard::cli {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

std::string Now() {
  return ingest::FormatRfc3339(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void PrintListening(std::ostream& out, const config::Config& config, uint16_t api_port,
                    uint16_t metrics_port) {
  out << fmt::format(
             R"({{"timestamp":"{}","level":"info","event":"listening","host":"{}","api_port":{},"metrics_port":{},"version":"{}","environment":"{}"}})",
             Now(), config.server.host, api_port, metrics_port, config.version, config.environment)
      << std::endl;
}

int RunServe(const config::Config& config, std::ostream& out) {
  app::App app(config);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "astraguard: " << s.message() << "\n";
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  PrintListening(out, config, app.api_port(), app.metrics_port());
  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  out << fmt::format(R"({{"timestamp":"{}","level":"info","event":"draining","signal":"{}"}})",
                     Now(), sig == SIGTERM ? "SIGTERM" : "SIGINT")
      << std::endl;
  bool clean = app.Shutdown();
  out << fmt::format(R"({{"timestamp":"{}","level":"{}","event":"stopped","drained":{}}})", Now(),
                     clean ? "info" : "warning", clean)
      << std::endl;
  return 0;
}

}  // namespace astraguard::cli
