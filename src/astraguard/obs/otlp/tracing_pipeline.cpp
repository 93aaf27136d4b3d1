#include "astraguard/obs/otlp/tracing_pipeline.hpp"

namespace astraguard::obs {

Result<std::unique_ptr<TracingPipeline>> TracingPipeline::Create(const TracingConfig& config,
                                                                 const Clock& clock,
                                                                 const ExportResilience& resilience,
                                                                 Logger* logger) {
  std::unique_ptr<TracingPipeline> p(new TracingPipeline());
  p->propagate_w3c_ = config.propagate_w3c;
  if (!config.enabled) {
    p->tracer_ = std::make_unique<Tracer>(config.sampler, nullptr, clock);
    return p;
  }
  std::string version;
  if (auto v = config.resource.attributes.Find("service.version"))
    if (const auto* s = std::get_if<std::string_view>(&*v)) version = std::string(*s);
  ExportFailureHandler on_failure;
  if (logger != nullptr) {
    // Only the export thread calls this: plain members suffice for the rate limit.
    on_failure = [logger, &clock, endpoint = config.exporter.endpoint,
                  source = config.endpoint_source, warn_unreachable = config.warn_unreachable,
                  unreachable_reported = false, last = std::chrono::steady_clock::time_point{},
                  suppressed = std::uint64_t{0}](std::string_view error, int http_status,
                                                 std::size_t spans) mutable {
      if (http_status == 0 && !warn_unreachable) {
        if (!unreachable_reported) {
          logger->Info("astraguard.tracing", "trace_collector_unreachable",
                       {{"endpoint", endpoint},
                        {"endpoint_source", source},
                        {"error", error},
                        {"hint",
                         "spans are dropped until a collector listens there; set "
                         "OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_SDK_DISABLED=true to turn tracing "
                         "off; not logged again"}});
          unreachable_reported = true;
        }
        return;
      }
      const auto now = clock.Now();
      if (last != std::chrono::steady_clock::time_point{} && now - last < std::chrono::minutes(1)) {
        ++suppressed;
        return;
      }
      logger->Warning("astraguard.tracing", "trace_export_failed",
                      {{"endpoint", endpoint},
                       {"error", error},
                       {"http_status", http_status},
                       {"spans_lost", spans},
                       {"failures_not_logged", suppressed}});
      last = now;
      suppressed = 0;
    };
  }
  auto exporter =
      OtlpHttpExporter::Create(config.exporter, resilience, clock, config.resource,
                               InstrumentationScope{"astraguard", version}, std::move(on_failure));
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
