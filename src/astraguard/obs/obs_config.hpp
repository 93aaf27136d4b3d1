#pragma once
// Observability configuration: plain structs plus the pure function that builds them from a
// map of environment variables. Components never read the environment; config/ passes the
// process environment (or a test map) to ParseObsConfig once at start-up.
//
// Variables (all optional):
//   Logging   LOG_LEVEL (DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL, case-insensitive; default INFO)
//             ENABLE_JSON_LOGGING (true|false; default true when ENVIRONMENT=production,
//             otherwise false = console format), ENVIRONMENT (default development),
//             APP_VERSION (default 1.0.0)
//   Tracing   OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER (otlp|none), OTEL_SERVICE_NAME
//             (fallback SERVICE_NAME, default astra-guard), OTEL_RESOURCE_ATTRIBUTES,
//             OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT / _PROTOCOL (http/protobuf|http/json) /
//             _HEADERS / _TIMEOUT (ms), OTEL_TRACES_SAMPLER (+ _ARG), OTEL_PROPAGATORS
//             (tracecontext|baggage|none), OTEL_BSP_SCHEDULE_DELAY / _EXPORT_TIMEOUT /
//             _MAX_QUEUE_SIZE / _MAX_EXPORT_BATCH_SIZE
//   Jaeger    The deployment guide's Jaeger variables are mapped onto Jaeger's native OTLP/HTTP
//             receiver (Jaeger >= 1.46, port 4318), used only when no OTEL_EXPORTER_OTLP_*
//             endpoint is set:
//               OTEL_EXPORTER_JAEGER_ENDPOINT=http://H:14268/api/traces -> http://H:4318/v1/traces
//               JAEGER_HOST=H                                        -> http://H:4318/v1/traces
//             JAEGER_PORT (the Thrift/UDP agent port, 6831) is validated but not used: there
//             is no Thrift transport.
//   Metrics   METRICS_USER + METRICS_PASSWORD (both or neither): basic auth on /metrics.
// Thread-safety: pure functions; plain values.

#include <map>
#include <string>

#include "astraguard/common/status.hpp"
#include "astraguard/obs/batch_span_processor.hpp"
#include "astraguard/obs/logger.hpp"
#include "astraguard/obs/otlp_exporter.hpp"
#include "astraguard/obs/tracer.hpp"

namespace astraguard::obs {

using EnvMap = std::map<std::string, std::string>;

struct TracingConfig {
  bool enabled = true;        // false: OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
  bool propagate_w3c = true;  // extract/inject traceparent (OTEL_PROPAGATORS)
  SamplerConfig sampler;
  BatchConfig batch;
  OtlpExporterConfig exporter;
  Resource resource;            // service.name, service.version, deployment.environment.name...
  std::string endpoint_source;  // the variable that chose the endpoint, or "default"
};

struct MetricsAuthConfig {
  std::string user;      // METRICS_USER
  std::string password;  // METRICS_PASSWORD
  bool enabled() const { return !user.empty(); }
};

struct ObsConfig {
  LogConfig log;
  TracingConfig tracing;
  MetricsAuthConfig metrics_auth;
};

// Builds the configuration; any malformed value is an error whose message names the variable.
// `default_version` is used when APP_VERSION is unset (the build's version).
Result<ObsConfig> ParseObsConfig(const EnvMap& env, std::string_view default_version = "1.0.0");

// DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL, case-insensitive.
Result<LogLevel> ParseLogLevel(std::string_view value);

}  // namespace astraguard::obs
