#pragma once
// `astraguard simulate`: command-line wiring of sim::RunSimulate (file output or posting to a
// running service as the load generator / demo feed). Kept apart from the service's Config: the
// simulator is a client and reads none of the service's settings.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "astraguard/sim/simulate.hpp"

namespace astraguard::cli {

struct SimulateArgs {
  sim::SimulateOptions options;
  std::string format = "ndjson";
  std::string output;               // empty or "-": stdout
  std::vector<std::string> faults;  // KIND@START[+DURATION][:CHANNEL][#SAT]
  std::vector<std::string> fault_pool;
  std::string start = "2026-01-01T00:00:00Z";  // or "now"
  std::string target;
  bool no_truth = false;
};

// Registers the subcommand and its flags on `app`, bound to `args`.
CLI::App* AddSimulateCommand(CLI::App& app, SimulateArgs& args);

// Validates the arguments and runs. 0 ok, 1 failure (e.g. non-2xx replies), 2 usage error.
int RunSimulate(SimulateArgs& args, std::ostream& out, std::ostream& err);

}  // namespace astraguard::cli
