// Micro-benchmarks of the detection engine. Baselines measured in the same run: the limit check
// alone (what a record costs without learned detection) and the bare predictor + threshold of
// one channel (what the engine adds on top: shard lock, satellite lookup, alarm bookkeeping).
//
//   BM_ChannelDetectorStep        one learned channel-step (predictor + incremental threshold)
//   BM_EngineOneChannel           Engine::Evaluate, one learned channel per record
//   BM_LimitsFiveChannels         baseline: LimitChecker::Check of a five-channel record
//   BM_EngineFiveChannels         Engine::Evaluate, five-channel record (voltage, temperature,
//                                 gyro, current, wheel_speed), all learned, limits on
//   BM_EngineFiveChannelsLatency  same, timing each record: p50/p99 in microseconds
//   BM_EvaluateSmapMsl            RunEvaluate on $BENCH_EVAL_DATA (skipped when unset)

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "astraguard/detect/engine.hpp"
#include "astraguard/detect/evaluate.hpp"

namespace {

using namespace astraguard::detect;

struct Spec {
  const char* name;
  double level, amplitude, noise;
};
constexpr Spec kChannels[] = {{"voltage", 28.0, 0.5, 0.05},
                              {"temperature", 20.0, 5.0, 0.2},
                              {"gyro", 0.0, 0.01, 0.002},
                              {"current", 3.0, 0.8, 0.05},
                              {"wheel_speed", 2400.0, 150.0, 5.0}};

// Deterministic noise (LCG) so that runs are comparable.
struct Lcg {
  std::uint64_t s = 12345;
  double operator()() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(s >> 11) / 9007199254740992.0 - 0.5;
  }
};

std::vector<double> Series(const Spec& c, std::size_t n, std::size_t phase, Lcg& g) {
  std::vector<double> v(n);
  for (std::size_t t = 0; t < n; ++t) {
    v[t] = c.level + c.amplitude * std::sin(6.283185307 * double(t + phase) / 90.0) +
           c.noise * 3.4 * g();
  }
  return v;
}

std::shared_ptr<const Model> FiveChannelModel() {
  auto m = std::make_shared<Model>();
  Lcg g;
  for (const auto& c : kChannels) {
    auto fitted = FitChannelModel(c.name, Series(c, 3000, 0, g), {}, 0, m->config);
    if (fitted.ok()) m->channels.emplace(c.name, std::move(*fitted));
  }
  return m;
}

constexpr std::size_t kLive = 1 << 14;

// Live records for the five channels, row-major.
std::vector<double> LiveRecords() {
  Lcg g;
  g.s = 999;
  std::vector<std::vector<double>> cols;
  for (const auto& c : kChannels) cols.push_back(Series(c, kLive, 3000, g));
  std::vector<double> rows(kLive * 5);
  for (std::size_t t = 0; t < kLive; ++t) {
    for (std::size_t k = 0; k < 5; ++k) rows[t * 5 + k] = cols[k][t];
  }
  return rows;
}

void BM_ChannelDetectorStep(benchmark::State& state) {
  auto model = FiveChannelModel();
  const ChannelModel& cm = *model->Find("voltage");
  ChannelDetector det(cm, model->config);
  auto rows = LiveRecords();
  std::size_t t = 0;
  for (auto _ : state) {
    auto st = det.Step(rows[(t++ % kLive) * 5], {});
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_channel"] = double(det.MemoryBytes());
}
BENCHMARK(BM_ChannelDetectorStep);

void BM_EngineOneChannel(benchmark::State& state) {
  Engine engine(EngineConfig{}, DefaultLimits(), FiveChannelModel());
  auto rows = LiveRecords();
  std::size_t t = 0;
  for (auto _ : state) {
    ChannelValue v{"voltage", rows[(t++ % kLive) * 5]};
    auto d = engine.Evaluate("sat-1", std::span<const ChannelValue>(&v, 1));
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineOneChannel);

void BM_LimitsFiveChannels(benchmark::State& state) {
  LimitChecker checker(DefaultLimits());
  auto rows = LiveRecords();
  std::size_t t = 0;
  for (auto _ : state) {
    const double* r = &rows[(t++ % kLive) * 5];
    ChannelValue rec[5];
    for (int k = 0; k < 5; ++k) rec[k] = {kChannels[k].name, r[k]};
    Detection d;
    checker.Check(rec, d);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * 5);
}
BENCHMARK(BM_LimitsFiveChannels);

void BM_EngineFiveChannels(benchmark::State& state) {
  Engine engine(EngineConfig{}, DefaultLimits(), FiveChannelModel());
  auto rows = LiveRecords();
  std::size_t t = 0;
  for (auto _ : state) {
    const double* r = &rows[(t++ % kLive) * 5];
    ChannelValue rec[5];
    for (int k = 0; k < 5; ++k) rec[k] = {kChannels[k].name, r[k]};
    auto d = engine.Evaluate("sat-1", rec);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * 5);  // channel-steps
  state.counters["bytes_per_channel"] = double(engine.MemoryBytesPerChannel());
}
BENCHMARK(BM_EngineFiveChannels);

// As the service runs by default: online learning on (1000 steps), every channel in the model,
// so no channel collects a history (the per-record cost is the check that none does).
void BM_EngineFiveChannelsOnlineOn(benchmark::State& state) {
  EngineConfig config;
  config.online_train_steps = 1000;
  config.request_training = [](std::string_view, std::string_view) { return false; };
  Engine engine(config, DefaultLimits(), FiveChannelModel());
  auto rows = LiveRecords();
  std::size_t t = 0;
  for (auto _ : state) {
    const double* r = &rows[(t++ % kLive) * 5];
    ChannelValue rec[5];
    for (int k = 0; k < 5; ++k) rec[k] = {kChannels[k].name, r[k]};
    auto d = engine.Evaluate("sat-1", rec, 0, std::int64_t(t));
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * 5);  // channel-steps
}
BENCHMARK(BM_EngineFiveChannelsOnlineOn);

void BM_EngineFiveChannelsLatency(benchmark::State& state) {
  Engine engine(EngineConfig{}, DefaultLimits(), FiveChannelModel());
  auto rows = LiveRecords();
  std::vector<double> us;
  us.reserve(1 << 20);
  std::size_t t = 0;
  for (auto _ : state) {
    const double* r = &rows[(t++ % kLive) * 5];
    ChannelValue rec[5];
    for (int k = 0; k < 5; ++k) rec[k] = {kChannels[k].name, r[k]};
    const auto a = std::chrono::steady_clock::now();
    auto d = engine.Evaluate("sat-1", rec);
    const auto b = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d);
    if (us.size() < us.capacity())
      us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  std::sort(us.begin(), us.end());
  if (!us.empty()) {
    state.counters["p50_us"] = us[us.size() / 2];
    state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  }
}
BENCHMARK(BM_EngineFiveChannelsLatency);

void BM_EvaluateSmapMsl(benchmark::State& state) {
  const char* dir = std::getenv("BENCH_EVAL_DATA");
  if (dir == nullptr) {
    state.SkipWithError("set BENCH_EVAL_DATA to the SMAP/MSL folder");
    return;
  }
  double sps = 0;
  for (auto _ : state) {
    EvaluateOptions o;
    o.data_dir = dir;
    o.json = true;
    std::ostringstream out, err;
    if (RunEvaluate(o, out, err) != 0) {
      state.SkipWithError(err.str().c_str());
      return;
    }
    const std::string j = out.str();
    const auto p = j.find("\"steps_per_second\": ");
    if (p != std::string::npos) sps = std::strtod(j.c_str() + p + 20, nullptr);
  }
  state.counters["streaming_steps_per_second"] = sps;
}
BENCHMARK(BM_EvaluateSmapMsl)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
