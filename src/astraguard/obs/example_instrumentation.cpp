// Example: manual instrumentation of custom code with the obs API (the deployment guide's
// "Manual Instrumentation" section, in C++). Built by the normal build as
// `ag_example_instrumentation`; run it to see the JSON log lines, then the metrics it produced.
// Its options are plain structs, set in step 1 (the service fills the same structs from the
// environment in config/).
//
//   build/src/astraguard/obs/ag_example_instrumentation
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>

#include "astraguard/common/clock.hpp"
#include "astraguard/obs/instrumentation.hpp"
#include "astraguard/obs/otlp/tracing_pipeline.hpp"

namespace {

struct Reading {
  std::string source;
  double voltage;
};

// The "custom code" being instrumented: a toy bus-voltage check.
bool IsAnomaly(const Reading& r) { return r.voltage < 7.0 || r.voltage > 9.0; }

}  // namespace

int main() {
  using namespace astraguard;
  // 1. Configuration: JSON log lines; tracing off, so that no collector is needed (with
  //    enabled = true, spans go to exporter.endpoint, http://localhost:4318/v1/traces).
  obs::LogConfig log_config;
  log_config.format = obs::LogFormat::kJson;
  obs::TracingConfig tracing_config;
  tracing_config.enabled = false;

  // 2. The three pillars, owned here (the service's composition root owns them in app/).
  SystemClock clock;
  obs::Metrics metrics({log_config.version, log_config.environment});
  obs::Logger logger(log_config, std::make_unique<obs::FdLogSink>(STDOUT_FILENO), clock);
  auto tracing = obs::TracingPipeline::Create(tracing_config, clock, {metrics.registry()});
  if (!tracing.ok()) {
    std::cerr << "tracing: " << tracing.status().message() << "\n";
    return 2;
  }
  obs::Instrumentation instr(metrics, (*tracing)->tracer(), logger);

  // 3. Resolve handles once: the operation, and the custom code's own family from the
  //    registry (as every component does in its constructor).
  const obs::Operation op = instr.RegisterOperation("custom_operation");
  prometheus::Counter& out_of_range = prometheus::BuildCounter()
                                          .Name("example_out_of_range_total")
                                          .Help("Readings outside 7..9 V.")
                                          .Register(metrics.registry())
                                          .Add({});

  // 4. Instrument each call.
  std::mt19937 rng(7);
  std::normal_distribution<double> volts(8.0, 0.8);
  for (int i = 0; i < 20; ++i) {
    Reading r{"SAT-" + std::to_string(i % 3), volts(rng)};
    auto tracked = instr.Track(op);
    obs::ScopedSpan check(instr.tracer().StartSpan("voltage_check"));
    check->AddAttribute(obs::StaticKey("reading.source"), std::string_view(r.source));
    if (IsAnomaly(r)) {
      out_of_range.Increment();
      instr.logger().Warning("example", "voltage_out_of_range",
                             {{"source", r.source}, {"voltage", r.voltage}});
    }
  }
  logger.Flush();
  (*tracing)->Shutdown(std::chrono::seconds(5));

  // 5. What a scrape shows for the example's families.
  std::istringstream scrape(metrics.Serialize());
  for (std::string line; std::getline(scrape, line);) {
    if (line.rfind("example_out_of_range_total", 0) == 0 ||
        line.rfind("astra_http_requests_total{endpoint=\"custom_operation\"", 0) == 0 ||
        line.rfind("astra_http_request_duration_seconds_count{endpoint=\"custom_operation\"", 0) == 0)
      std::cout << line << "\n";
  }
  return 0;
}
