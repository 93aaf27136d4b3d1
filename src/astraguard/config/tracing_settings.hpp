#pragma once
// The rows of the OpenTelemetry and Jaeger variables (OTEL_*, JAEGER_*, SERVICE_NAME), which
// fill obs::TracingConfig, and what no single one of them decides. Internal to config/: part of
// the one settings table of config.hpp, kept in its own file because OpenTelemetry's
// precedence rules (OTEL_EXPORTER_OTLP_TRACES_* over OTEL_EXPORTER_OTLP_*, the guide's Jaeger
// variables mapped onto OTLP/HTTP) take some room.
// Thread-safety: pure functions.

#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/config/config.hpp"

namespace astraguard::config::detail {

// Appends the rows, in the order Load must apply them: of two variables setting the same
// value, the one that wins comes later.
void AddTracingSettings(std::vector<Setting>& settings);

// After every row: the endpoint source ("default" when no variable chose it), the resource's
// default attributes (service name, version, environment, SDK) where the variables set none,
// the logger's service name, whether an absent collector is a warning (`production`), the
// exporter timeout capped by the batch export timeout, and the batch/queue size check.
Status FinishTracing(Config& config, bool production);

}  // namespace astraguard::config::detail
