// Per-request cost of the instrumentation the HTTP path adds (App::Dispatch): SERVER span with
// semantic-convention attributes (sampled, encoded and queued by the batch processor), traceparent
// for the response, one JSON access-log line, and the route's metric handles. Compared with the
// metric handles alone ("off": what is left with OTEL_SDK_DISABLED and LOG_LEVEL=ERROR).
#include <benchmark/benchmark.h>

#include "astraguard/obs/trace/batch_span_processor.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/metrics/metrics.hpp"
#include "astraguard/obs/otlp/otlp_encoding.hpp"
#include "astraguard/obs/trace/tracer.hpp"

namespace astraguard::obs {
namespace {

class NullSink final : public LogSink {
 public:
  void Write(std::string_view) override {}
};

// Encodes spans as the OTLP exporter does (protobuf) and discards the requests: measures our
// side, not a collector.
class NullExporter final : public SpanExporter {
 public:
  void Encode(const SpanData& span, std::string& out) const override {
    AppendOtlpProtobufSpan(span, out);
  }
  ExportResult Send(std::string_view, std::size_t, std::chrono::steady_clock::time_point) override {
    return ExportResult::kSuccess;
  }
};

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

void BM_RequestInstrumentationOff(benchmark::State& state) {
  Metrics metrics({"1", "bench"});
  RouteMetrics& rm = metrics.ForRoute("POST", "/api/v1/telemetry");
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rm.Observe(200, s, 100, 400);
  }
}
BENCHMARK(BM_RequestInstrumentationOff);

void BM_RequestInstrumentationOn(benchmark::State& state) {
  SystemClock clock;
  Metrics metrics({"1", "bench"});
  RouteMetrics& rm = metrics.ForRoute("POST", "/api/v1/telemetry");
  BatchConfig bc;
  bc.max_queue_size = 1 << 16;
  Tracer tracer({SamplerKind::kAlwaysOn, 1.0},
                std::make_unique<BatchSpanProcessor>(bc, std::make_unique<NullExporter>()), clock);
  LogConfig lc;
  lc.queue_capacity = 1 << 16;
  Logger logger(lc, std::make_unique<NullSink>(), clock);
  const bool with_parent = state.range(0) != 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    ScopedSpan span(StartHttpServerSpan(tracer, {.method = "POST",
                                                 .route = "/api/v1/telemetry",
                                                 .path = "/api/v1/telemetry",
                                                 .server_port = 8000,
                                                 .client_address = "127.0.0.1",
                                                 .user_agent = "wrk",
                                                 .traceparent = with_parent ? kTraceparent : ""}));
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rm.Observe(200, s, 100, 400);
    SetHttpServerSpanResult(span.span(), 200);
    std::string tp = FormatTraceparent(span.span().context());
    benchmark::DoNotOptimize(tp);
    logger.Access({.method = "POST",
                   .route = "/api/v1/telemetry",
                   .status = 200,
                   .duration_ms = s * 1000,
                   .request_bytes = 100,
                   .response_bytes = 400,
                   .client = "127.0.0.1",
                   .span = &span.span().context()});
  }
  state.counters["log_dropped"] = static_cast<double>(logger.dropped());
}
BENCHMARK(BM_RequestInstrumentationOn)->Arg(0)->Arg(1);

void BM_JsonLogLine(benchmark::State& state) {
  SystemClock clock;
  LogConfig lc;
  lc.queue_capacity = 1 << 16;
  Logger logger(lc, std::make_unique<NullSink>(), clock);
  for (auto _ : state) {
    // The service's anomaly_detected line (service/telemetry_service.cpp).
    logger.Log(LogLevel::kInfo, "astraguard.detection", "anomaly_detected",
               {{"satellite", "sat-9"}, {"severity", "CRITICAL"}, {"type", "wheel_fault"},
                {"confidence", 1.0}});
  }
}
BENCHMARK(BM_JsonLogLine);

// Export-thread cost per span: OTLP protobuf encoding of a batch of 512 SERVER spans.
class CollectingProcessor final : public SpanProcessor {
 public:
  void OnEnd(const SpanData& s) override { batch.push_back(std::make_unique<SpanData>(s)); }
  bool ForceFlush(std::chrono::milliseconds) override { return true; }
  void Shutdown(std::chrono::milliseconds) override {}
  SpanBatch batch;
};

void BM_EncodeProtobufPerSpan(benchmark::State& state) {
  SystemClock clock;
  auto proc = std::make_unique<CollectingProcessor>();
  CollectingProcessor* p = proc.get();
  Tracer tracer({SamplerKind::kAlwaysOn, 1.0}, std::move(proc), clock);
  for (int i = 0; i < 512; ++i) {
    Span s = StartHttpServerSpan(tracer, {.method = "POST",
                                          .route = "/api/v1/telemetry",
                                          .path = "/api/v1/telemetry",
                                          .server_port = 8000,
                                          .client_address = "127.0.0.1",
                                          .user_agent = "wrk"});
    SetHttpServerSpanResult(s, 200);
  }
  Resource r;
  r.attributes.Set("service.name", "astra-guard");
  for (auto _ : state) {
    // As the exporter does: each span appended as it ends, then the head for the batch.
    std::string spans;
    for (const auto& s : p->batch) AppendOtlpProtobufSpan(*s, spans);
    std::string head = OtlpProtobufHead(r, {"astraguard", "1"}, spans.size());
    benchmark::DoNotOptimize(spans);
    benchmark::DoNotOptimize(head);
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_EncodeProtobufPerSpan);

}  // namespace
}  // namespace astraguard::obs

BENCHMARK_MAIN();
