// Mission-layer costs per telemetry record: the sensor-signature check on a nominal record (the
// hot path: every record pays it), a full anomalous record (classify, decide, store), the
// simulator's step, and a history query over a full store.

#include <benchmark/benchmark.h>

#include "astraguard/mission/service.hpp"
#include "astraguard/sim/fleet.hpp"

namespace {

using namespace astraguard;

struct Fixture {
  Fixture() : metrics(registry), store(100'000) {
    policy = *mission::ParsePolicyYaml(mission::DefaultPolicyYaml());
    service = std::make_unique<mission::Service>(policy, store, clock, metrics);
  }
  SystemClock clock;
  prometheus::Registry registry;
  mission::MissionMetrics metrics;
  storage::InMemoryAnomalyStore store;
  mission::PolicySet policy;
  std::unique_ptr<mission::Service> service;
};

mission::Readings Readings(double jitter) {
  mission::Readings r;
  r.Set(mission::StdChannel::kVoltage, 28.1 + jitter);
  r.Set(mission::StdChannel::kTemperature, 20 + jitter);
  r.Set(mission::StdChannel::kGyro, 0.001 + jitter / 1000);
  r.Set(mission::StdChannel::kCurrent, 1.2 + jitter / 10);
  r.Set(mission::StdChannel::kWheelSpeed, 2100 + jitter * 10);
  return r;
}

void BM_ProcessNominal(benchmark::State& state) {
  Fixture f;
  const std::string sats[] = {"SAT-001", "SAT-002", "SAT-003", "SAT-004"};
  detect::Detection none;
  int64_t i = 0;
  for (auto _ : state) {
    auto a = f.service->Process({sats[i & 3], i, Readings(0.001 * (i % 97))}, none);
    benchmark::DoNotOptimize(a);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProcessNominal);

void BM_ProcessAnomaly(benchmark::State& state) {
  Fixture f;
  detect::Detection d;
  d.is_anomaly = true;
  d.anomaly_score = 1.0;
  d.confidence = 1.0;
  d.contributing.push_back({"voltage", 20.0, 1.0, "voltage 20 V below red-low 22 V"});
  int64_t i = 0;
  for (auto _ : state) {
    auto a = f.service->Process({"SAT-001", i, Readings(0.001 * (i % 97))}, d);
    benchmark::DoNotOptimize(a);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProcessAnomaly);

void BM_HistoryQueryFullStore(benchmark::State& state) {
  Fixture f;
  detect::Detection d;
  d.is_anomaly = true;
  d.anomaly_score = 1.0;
  d.confidence = 1.0;
  d.contributing.push_back({"voltage", 20.0, 1.0, "low"});
  for (int64_t i = 0; i < 100'000; ++i) {
    (void)f.service->Process({i % 10 ? "SAT-001" : "SAT-002", i, Readings(0.001 * (i % 97))}, d);
  }
  storage::AnomalyQuery q;
  q.satellite_id = "SAT-002";  // 1 in 10: a page of 100 scans ~1000 records
  q.limit = 100;
  for (auto _ : state) {
    auto page = f.service->QueryHistory(q);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_HistoryQueryFullStore);

void BM_SimulatorStep(benchmark::State& state) {
  sim::FleetConfig c;
  c.satellites = 1;
  sim::Fleet fleet(c);
  for (auto _ : state) {
    auto r = fleet.TickOne(0);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimulatorStep);

}  // namespace

BENCHMARK_MAIN();
