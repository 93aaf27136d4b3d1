#pragma once
// TracingPipeline: builds Tracer -> BatchSpanProcessor -> OtlpHttpExporter from a
// TracingConfig, owns them, and exposes their counters for the metrics layer.
// With config.enabled == false the Tracer is a no-op (no thread, no exporter).
// Export failures are logged (when given a Logger): "trace_export_failed" at warning, at most
// once a minute. With warn_unreachable == false (development), a collector that does not answer
// at all (nothing listens, no route) is reported once, at info ("trace_collector_unreachable",
// with the variables that change or disable the endpoint), and not again; HTTP errors from a
// collector that does answer stay warnings.
// The exporter's circuit breaker and retries are built from `resilience` (see otlp_exporter.hpp).
// Thread-safety: tracer(), stats() and breaker() may be called concurrently. Lifetime: `clock`
// and what `resilience` refers to must outlive the pipeline; destroy (or Shutdown) the pipeline after the HTTP server has stopped.

#include <chrono>
#include <memory>
#include <string>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/otlp/otlp_exporter.hpp"
#include "astraguard/obs/trace/batch_span_processor.hpp"
#include "astraguard/obs/trace/tracer.hpp"

namespace astraguard::obs {

struct TracingConfig {
  bool enabled = true;        // false: OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
  bool propagate_w3c = true;  // extract/inject traceparent (OTEL_PROPAGATORS)
  // false (ENVIRONMENT other than production): an absent collector is an info line, once.
  bool warn_unreachable = true;
  SamplerConfig sampler;
  BatchConfig batch;
  OtlpExporterConfig exporter;
  Resource resource;            // service.name, service.version, deployment.environment.name...
  std::string endpoint_source;  // the variable that chose the endpoint, or "default"
};

struct TracingStats {
  TracerStats tracer;
  BatchStats batch;
  OtlpExporterStats exporter;
};

class TracingPipeline final {
 public:
  // With a `logger` (which must outlive the pipeline), failed exports are logged as described
  // above (counts are in the metrics either way).
  static Result<std::unique_ptr<TracingPipeline>> Create(const TracingConfig& config,
                                                         const Clock& clock,
                                                         const ExportResilience& resilience,
                                                         Logger* logger = nullptr);
  ~TracingPipeline();

  Tracer& tracer() { return *tracer_; }
  bool propagate_w3c() const { return propagate_w3c_; }
  TracingStats stats() const;
  // The exporter's breaker ("otlp_exporter"); null when tracing is disabled.
  const resilience::CircuitBreaker* breaker() const {
    return exporter_ ? &exporter_->breaker() : nullptr;
  }
  // Flushes queued spans (bounded by `timeout`) and stops the export thread. Idempotent.
  void Shutdown(std::chrono::milliseconds timeout);

 private:
  TracingPipeline() = default;
  std::unique_ptr<Tracer> tracer_;
  BatchSpanProcessor* processor_ = nullptr;  // owned by tracer_
  OtlpHttpExporter* exporter_ = nullptr;     // owned by processor_
  bool propagate_w3c_ = true;
};

}  // namespace astraguard::obs
