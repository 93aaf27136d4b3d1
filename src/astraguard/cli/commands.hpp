#pragma once
// The subcommands' entry points. Each returns the process exit code: 0 ok, 1 runtime failure,
// 2 usage or configuration error (with a message naming the flag or variable).
// serve and demo print through the CLI's Logger (lifecycle.hpp) on stdout, errors on stderr.

#include "astraguard/config/config.hpp"

namespace astraguard::cli {

// Serves until SIGTERM/SIGINT, then drains. SIGTERM/SIGINT must be blocked in every thread
// (call BlockShutdownSignals before any thread starts).
int RunServe(const config::Config& config);

// Serves and feeds the service with the built-in simulator (3 satellites, a labelled fault now
// and then), logging each fault episode beside the service's verdict, false alarms and a
// periodic summary. Stops like RunServe.
int RunDemo(const config::Config& config);

void BlockShutdownSignals();

}  // namespace astraguard::cli
