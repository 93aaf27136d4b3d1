#include "astraguard/obs/tracing_pipeline.hpp"

namespace astraguard::obs {

Result<std::unique_ptr<TracingPipeline>> TracingPipeline::Create(const TracingConfig& config,
                                                                 const Clock& clock) {
  std::unique_ptr<TracingPipeline> p(new TracingPipeline());
  p->propagate_w3c_ = config.propagate_w3c;
  if (!config.enabled) {
    p->tracer_ = std::make_unique<Tracer>(config.sampler, nullptr, clock);
    return p;
  }
  std::string version;
  for (const auto& a : config.resource.attributes)
    if (a.key() == "service.version") version = std::get<std::string>(a.value);
  auto exporter = OtlpHttpExporter::Create(config.exporter, config.resource,
                                           InstrumentationScope{"astraguard", version});
  if (!exporter.ok()) return exporter.status();
  p->exporter_ = exporter->get();
  auto processor = std::make_unique<BatchSpanProcessor>(config.batch, std::move(*exporter));
  p->processor_ = processor.get();
  p->tracer_ = std::make_unique<Tracer>(config.sampler, std::move(processor), clock);
  return p;
}

TracingPipeline::~TracingPipeline() { Shutdown(std::chrono::seconds(5)); }

TracingStats TracingPipeline::stats() const {
  TracingStats s;
  s.tracer = tracer_->stats();
  if (processor_) s.batch = processor_->stats();
  if (exporter_) s.exporter = exporter_->stats();
  return s;
}

void TracingPipeline::Shutdown(std::chrono::milliseconds timeout) { tracer_->Shutdown(timeout); }

}  // namespace astraguard::obs
