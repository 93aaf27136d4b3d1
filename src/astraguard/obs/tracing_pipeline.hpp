#pragma once
// TracingPipeline: builds Tracer -> BatchSpanProcessor -> OtlpHttpExporter from a
// TracingConfig, owns them, and exposes their counters for the metrics layer.
// With config.enabled == false the Tracer is a no-op (no thread, no exporter).
// Thread-safety: tracer() and stats() may be called concurrently. Lifetime: `clock` must
// outlive the pipeline; destroy (or Shutdown) the pipeline after the HTTP server has stopped.

#include <chrono>
#include <memory>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/obs/batch_span_processor.hpp"
#include "astraguard/obs/logger.hpp"
#include "astraguard/obs/obs_config.hpp"
#include "astraguard/obs/otlp_exporter.hpp"
#include "astraguard/obs/tracer.hpp"

namespace astraguard::obs {

struct TracingStats {
  TracerStats tracer;
  BatchStats batch;
  OtlpExporterStats exporter;
};

class TracingPipeline final {
 public:
  // With a `logger` (which must outlive the pipeline), failed exports are reported as a
  // warning "trace_export_failed", at most once a minute (counts are in the metrics).
  static Result<std::unique_ptr<TracingPipeline>> Create(const TracingConfig& config,
                                                         const Clock& clock,
                                                         Logger* logger = nullptr);
  ~TracingPipeline();

  Tracer& tracer() { return *tracer_; }
  bool propagate_w3c() const { return propagate_w3c_; }
  TracingStats stats() const;
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
