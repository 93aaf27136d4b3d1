// Example: manual instrumentation of custom code with the obs API (the deployment guide's
// "Manual Instrumentation" section, in C++). Built by the normal build as
// `ag_example_instrumentation`; run it to see the JSON log lines, then the metrics it produced.
// Tracing follows the usual OTEL_* / JAEGER_HOST variables (OTEL_SDK_DISABLED=true to skip).
//
//   build/src/astraguard/obs/ag_example_instrumentation
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>

#include "astraguard/common/clock.hpp"
#include "astraguard/obs/instrumentation.hpp"
#include "astraguard/obs/obs_config.hpp"
#include "astraguard/obs/tracing_pipeline.hpp"

extern char** environ;

namespace {

struct Reading {
  std::string satellite;
  double voltage;
};

// The "custom code" being instrumented: a toy bus-voltage check.
bool IsAnomaly(const Reading& r) { return r.voltage < 7.0 || r.voltage > 9.0; }

}  // namespace

int main() {
  using namespace astraguard;
  // 1. Configuration from the environment (the service does this in config/).
  obs::EnvMap env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (auto eq = kv.find('='); eq != std::string_view::npos)
      env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  env.try_emplace("ENABLE_JSON_LOGGING", "true");
  env.try_emplace("OTEL_SDK_DISABLED", "true");  // no collector needed to run the example
  auto cfg = obs::ParseObsConfig(env);
  if (!cfg.ok()) {
    std::cerr << "config: " << cfg.status().message() << "\n";
    return 2;
  }

  // 2. The three pillars, owned here (the service's composition root owns them in app/).
  SystemClock clock;
  obs::Metrics metrics({cfg->log.version, cfg->log.environment});
  obs::Logger logger(cfg->log, std::make_unique<obs::FdLogSink>(STDOUT_FILENO), clock);
  auto tracing = obs::TracingPipeline::Create(cfg->tracing, clock);
  if (!tracing.ok()) {
    std::cerr << "tracing: " << tracing.status().message() << "\n";
    return 2;
  }
  obs::Instrumentation instr(metrics, (*tracing)->tracer(), logger);

  // 3. Resolve handles once.
  const obs::Operation op = instr.RegisterOperation("custom_operation");

  // 4. Instrument each call.
  std::mt19937 rng(7);
  std::normal_distribution<double> volts(8.0, 0.8);
  for (int i = 0; i < 20; ++i) {
    Reading r{"SAT-" + std::to_string(i % 3), volts(rng)};
    auto tracked = instr.Track(op);
    auto span = instr.DetectionSpan(1, "custom_v1");
    const auto t0 = std::chrono::steady_clock::now();
    const bool anomaly = IsAnomaly(r);
    instr.ObserveDetectionLatency(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (anomaly) {
      const auto sev =
          r.voltage < 6.5 || r.voltage > 9.5 ? obs::Severity::kCritical : obs::Severity::kHigh;
      instr.CountAnomaly(sev);
      instr.LogDetection(r.satellite, sev, "power_fault", 0.95);
    }
  }
  logger.Flush();
  (*tracing)->Shutdown(std::chrono::seconds(5));

  // 5. What a scrape shows for the example's families.
  std::istringstream scrape(metrics.Serialize());
  for (std::string line; std::getline(scrape, line);) {
    if (line.rfind("astra_anomalies_detected_total", 0) == 0 ||
        line.rfind("astra_http_requests_total{endpoint=\"custom_operation\"", 0) == 0 ||
        line.rfind("astra_detection_latency_seconds_count", 0) == 0)
      std::cout << line << "\n";
  }
  return 0;
}
