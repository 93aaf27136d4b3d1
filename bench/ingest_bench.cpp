// Micro-benchmarks of the request path's pure parts: strict parse + decode of one telemetry
// record, the limit check, and the response rendering. The baseline is Boost.JSON's own parse
// of the same bytes (no strictness, no decoding), measured in the same run.

#include <benchmark/benchmark.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include "astraguard/detect/limits.hpp"
#include "astraguard/http/json_response.hpp"
#include "astraguard/ingest/telemetry.hpp"

namespace {

constexpr const char* kRecord =
    R"({"voltage":28.1,"temperature":21.5,"gyro":0.001,"current":3.2,"wheel_speed":2400,"satellite_id":"sat-1","timestamp":"2026-11-25T12:00:00Z"})";

void BM_BoostJsonParseBaseline(benchmark::State& state) {
  for (auto _ : state) {
    unsigned char buf[4096];
    boost::json::monotonic_resource mr(buf, sizeof(buf));
    auto v = boost::json::parse(kRecord, &mr);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_BoostJsonParseBaseline);

void BM_ParseTelemetry(benchmark::State& state) {
  for (auto _ : state) {
    auto r = astraguard::ingest::ParseTelemetry(kRecord);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseTelemetry);

void BM_LimitCheckFiveChannels(benchmark::State& state) {
  astraguard::detect::LimitChecker checker(astraguard::detect::DefaultLimits());
  auto rec = astraguard::ingest::ParseTelemetry(kRecord);
  auto values = rec->Values();
  for (auto _ : state) {
    astraguard::detect::Detection d;
    checker.Check(values, d);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_LimitCheckFiveChannels);

void BM_RenderResponse(benchmark::State& state) {
  boost::json::value v = {{"anomaly_id", nullptr}, {"is_anomaly", false},
                          {"anomaly_score", 0.0},  {"anomaly_type", "normal"},
                          {"confidence", 0.95},    {"contributing_channels", boost::json::array()}};
  for (auto _ : state) {
    std::string s = astraguard::http::SerializeJson(v);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_RenderResponse);

}  // namespace

BENCHMARK_MAIN();
