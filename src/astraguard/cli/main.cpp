// astraguard: one binary, thin main. Parses the command line, loads the configuration and
// dispatches to a subcommand; see commands.hpp for the exit-code contract.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "astraguard/cli/commands.hpp"
#include "astraguard/config/config.hpp"

#ifndef ASTRAGUARD_VERSION
#define ASTRAGUARD_VERSION "0.0.0"
#endif

namespace {

using astraguard::config::Settings;

// Adds one flag per setting that has one; values land in `flags` keyed by variable name.
void AddSettingFlags(CLI::App* cmd, std::map<std::string, std::string>& flags) {
  for (const auto& s : Settings()) {
    if (s.flag.empty()) continue;
    std::string env(s.env);
    cmd->add_option_function<std::string>(
        std::string(s.flag), [&flags, env](const std::string& v) { flags[env] = v; },
        fmt::format("{} (env {})", s.help, s.env));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace astraguard;
  // Before any thread exists, so that every thread inherits the mask and sigwait gets them.
  cli::BlockShutdownSignals();

  CLI::App app{"AstraGuard: real-time telemetry anomaly detection for satellite operators"};
  app.require_subcommand(1);
  std::map<std::string, std::string> flags;

  auto* serve = app.add_subcommand("serve", "Run the service (API and /metrics listeners).");
  auto* demo = app.add_subcommand(
      "demo", "Run the service fed by the built-in telemetry generator; prints each anomaly.");
  auto* check = app.add_subcommand(
      "check-config", "Print the resolved configuration (secrets redacted) and exit.");
  auto* version = app.add_subcommand("version", "Print the version and exit.");
  for (auto* cmd : {serve, demo, check}) AddSettingFlags(cmd, flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (version->parsed()) {
    std::cout << "astraguard " << ASTRAGUARD_VERSION << "\n";
    return 0;
  }
  auto loaded = config::Load(config::ProcessEnvironment(), flags, ASTRAGUARD_VERSION);
  if (!loaded.ok()) {
    std::cerr << "astraguard: configuration error: " << loaded.status().message() << "\n";
    return 2;
  }
  if (check->parsed()) {
    std::cout << config::Describe(*loaded);
    return 0;
  }
  if (demo->parsed()) return cli::RunDemo(loaded->config, std::cout);
  return cli::RunServe(loaded->config, std::cout);
}
