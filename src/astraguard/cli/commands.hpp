#pragma once
// The subcommands' entry points. Each returns the process exit code: 0 ok, 1 runtime failure,
// 2 usage or configuration error (with a message naming the flag or variable).

#include <iosfwd>

#include "astraguard/config/config.hpp"

namespace astraguard::cli {

// Serves until SIGTERM/SIGINT, then drains. SIGTERM/SIGINT must be blocked in every thread
// (call BlockShutdownSignals before any thread starts).
int RunServe(const config::Config& config, std::ostream& out);

// Serves and feeds the service with a built-in telemetry generator, printing each detection.
int RunDemo(const config::Config& config, std::ostream& out);

void BlockShutdownSignals();

// Prints the machine-parsable start-up line with the bound ports.
void PrintListening(std::ostream& out, const config::Config& config, uint16_t api_port,
                    uint16_t metrics_port);

}  // namespace astraguard::cli
