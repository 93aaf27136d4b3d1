#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "astraguard/app/app.hpp"
#include "astraguard/cli/commands.hpp"
#include "astraguard/sim/simulate.hpp"

namespace astraguard::cli {

int RunDemo(const config::Config& config, std::ostream& out) {
  app::App app(config);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "astraguard: " << s.message() << "\n";
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  PrintListening(out, config, app.api_port(), app.metrics_port());
  out << fmt::format(
             "demo: the simulator feeds 3 satellites into http://127.0.0.1:{0}/api/v1/telemetry "
             "and injects a labelled fault now and then; one line per anomaly below.\n"
             "      look at http://127.0.0.1:{0}/health, http://127.0.0.1:{1}/metrics and "
             "http://127.0.0.1:{0}/api/v1/history/anomalies; Ctrl-C stops\n",
             app.api_port(), app.metrics_port())
      << std::flush;

  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    sim::PostRecords(sim::DemoOptions(app.api_port(), &stop), out, std::cerr);
  });

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  stop.store(true);
  feeder.join();
  app.Shutdown();
  out << "demo: stopped" << std::endl;
  return 0;
}

}  // namespace astraguard::cli
