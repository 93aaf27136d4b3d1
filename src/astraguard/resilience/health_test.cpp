#include "astraguard/resilience/health.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "astraguard/resilience/testing/metric_value.hpp"

namespace astraguard::resilience {
namespace {

using testing::MetricValue;
using namespace std::chrono_literals;

class HealthRegistryTest : public ::testing::Test {
 protected:
  HealthRegistryTest() {
    health_.Register("redis", [this] { return redis_; });
    health_.Register("otlp_exporter", [] { return ProbeResult{}; });
  }
  double Failures(const char* service) {
    return MetricValue(registry_, "astra_health_check_failures_total", {{"service", service}});
  }
  double Resolutions(const char* type) {
    return MetricValue(registry_, "astra_error_resolution_time_seconds", {{"error_type", type}});
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  HealthRegistry health_{{}, clock_, registry_};
  ProbeResult redis_;
};

TEST_F(HealthRegistryTest, LabelSetsExistAtZeroOnRegistration) {
  EXPECT_EQ(Failures("redis"), 0);
  EXPECT_EQ(Failures("otlp_exporter"), 0);
  EXPECT_EQ(Resolutions("redis"), 0);
}

TEST_F(HealthRegistryTest, SnapshotReportsStateErrorAndSince) {
  ASSERT_TRUE(health_.CheckNow());
  const auto start = health_.Snapshot()[0].since_unix_ms;
  clock_.Advance(2s);
  redis_ = {HealthState::kDown, "connection refused"};
  EXPECT_FALSE(health_.CheckNow());
  const auto snap = health_.Snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].name, "redis");
  EXPECT_EQ(snap[0].state, HealthState::kDown);
  EXPECT_EQ(snap[0].last_error, "connection refused");
  EXPECT_EQ(snap[0].since_unix_ms, start + 2000);
  EXPECT_EQ(snap[1].state, HealthState::kOk);
  EXPECT_EQ(HealthStateName(snap[0].state), "unhealthy");
}

TEST_F(HealthRegistryTest, SinceStaysWhileTheStateHolds) {
  redis_ = {HealthState::kDegraded, "slow"};
  (void)health_.CheckNow();
  const auto since = health_.Snapshot()[0].since_unix_ms;
  clock_.Advance(5s);
  (void)health_.CheckNow();
  EXPECT_EQ(health_.Snapshot()[0].since_unix_ms, since);
}

TEST_F(HealthRegistryTest, CountsEveryFailedProbe) {
  redis_ = {HealthState::kDown, "x"};
  (void)health_.CheckNow();
  (void)health_.CheckNow();
  EXPECT_EQ(Failures("redis"), 2);
  EXPECT_EQ(Failures("otlp_exporter"), 0);
}

TEST_F(HealthRegistryTest, ResolutionTimeRunsFromTheFirstFailureToHealthy) {
  redis_ = {HealthState::kDown, "x"};
  (void)health_.CheckNow();
  clock_.Advance(5s);
  (void)health_.CheckNow();
  clock_.Advance(5s);
  redis_ = {};
  (void)health_.CheckNow();
  EXPECT_EQ(Resolutions("redis"), 1);
  double sum = -1;
  for (const auto& f : registry_.Collect())
    if (f.name == "astra_error_resolution_time_seconds")
      for (const auto& m : f.metric)
        if (m.label.at(0).value == "redis") sum = m.histogram.sample_sum;
  EXPECT_DOUBLE_EQ(sum, 10.0);
  EXPECT_EQ(health_.Snapshot()[0].last_error, "x");  // kept after recovery
}

TEST_F(HealthRegistryTest, ListenersHearWhetherAllWereOk) {
  std::vector<bool> heard;
  health_.OnCheck([&](bool ok) { heard.push_back(ok); });
  (void)health_.CheckNow();
  redis_ = {HealthState::kDegraded, "x"};
  (void)health_.CheckNow();
  EXPECT_EQ(heard, (std::vector<bool>{true, false}));
}

TEST(HealthCheckerThreadTest, RequestCheckRunsAPassAndStopIsPrompt) {
  SystemClock clock;
  prometheus::Registry registry;
  HealthRegistry health({.interval = std::chrono::hours(1)}, clock, registry);
  std::atomic<int> probes{0};
  health.Register("x", [&] {
    ++probes;
    return ProbeResult{};
  });
  health.Start();
  EXPECT_EQ(probes.load(), 1);  // the pass at Start
  health.RequestCheck();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (probes.load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(probes.load(), 2);
  const auto stop_start = std::chrono::steady_clock::now();
  health.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, 1s);
}

TEST(HealthCheckerThreadTest, ProbesOnTheInterval) {
  SystemClock clock;
  prometheus::Registry registry;
  HealthRegistry health({.interval = 10ms}, clock, registry);
  std::atomic<int> probes{0};
  health.Register("x", [&] {
    ++probes;
    return ProbeResult{};
  });
  health.Start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (probes.load() < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_GE(probes.load(), 5);
}

}  // namespace
}  // namespace astraguard::resilience
