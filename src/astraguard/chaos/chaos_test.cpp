#include "astraguard/chaos/chaos.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace astraguard::chaos {
namespace {

using namespace std::chrono_literals;

double Metric(const prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels, bool sum = false) {
  for (const auto& f : registry.Collect()) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : m.label) got[l.name] = l.value;
      if (got != labels) continue;
      if (f.type == prometheus::MetricType::Histogram)
        return sum ? m.histogram.sample_sum : static_cast<double>(m.histogram.sample_count);
      return m.counter.value;
    }
  }
  return -1;
}

class ChaosTest : public ::testing::Test {
 protected:
  explicit ChaosTest(ChaosOptions options = {.enabled = true, .redis_configured = true})
      : chaos_(options, switches_, health_, clock_, registry_) {
    health_.Register("dependency", [this] { return probe_; });
  }
  double Injections(const char* type, const char* status) {
    return Metric(registry_, "astra_chaos_injections_total", {{"type", type}, {"status", status}});
  }
  // The field names of a failed status.
  static std::vector<std::string> Fields(const Status& s) {
    std::vector<std::string> out;
    for (const auto& f : s.fields()) out.push_back(f.field);
    return out;
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  resilience::FaultSwitches switches_;
  resilience::HealthRegistry health_{{}, clock_, registry_};
  resilience::ProbeResult probe_;
  Chaos chaos_;
};

TEST_F(ChaosTest, EveryLabelSetStartsAtZero) {
  for (auto type : kFaultNames) {
    const std::string t(type);
    for (const char* status : {"started", "stopped", "expired", "rejected"})
      EXPECT_EQ(Injections(t.c_str(), status), 0) << t << " " << status;
    EXPECT_EQ(Metric(registry_, "astra_chaos_recovery_time_seconds", {{"type", t}}), 0);
  }
}

TEST_F(ChaosTest, EachFaultSetsItsSwitchUntilItsDeadline) {
  ASSERT_TRUE(chaos_.Inject("redis_outage", R"({"duration_seconds": 10})").ok());
  ASSERT_TRUE(chaos_.Inject("redis_latency",
                            R"({"duration_seconds": 10, "params": {"latency_ms": 200}})")
                  .ok());
  ASSERT_TRUE(chaos_.Inject("model_failure", R"({"duration_seconds": 10})").ok());
  ASSERT_TRUE(chaos_.Inject("exporter_outage", R"({"duration_seconds": 10, "params": {}})").ok());
  ASSERT_TRUE(chaos_.Inject("request_latency",
                            R"({"duration_seconds": 10, "params": {"latency_ms": 50}})")
                  .ok());
  ASSERT_TRUE(
      chaos_.Inject("error_rate", R"({"duration_seconds": 20, "params": {"rate": 0.25}})").ok());
  EXPECT_TRUE(switches_.redis_outage);
  EXPECT_EQ(switches_.redis_latency_ms, 200);
  EXPECT_TRUE(switches_.model_failure);
  EXPECT_TRUE(switches_.exporter_outage);
  EXPECT_EQ(switches_.request_latency_ms, 50);
  EXPECT_DOUBLE_EQ(switches_.error_rate, 0.25);
  EXPECT_EQ(chaos_.List().at("experiments").as_array().size(), 6u);

  clock_.Advance(9999ms);
  chaos_.ExpireDue();
  EXPECT_TRUE(switches_.model_failure);
  clock_.Advance(1ms);
  chaos_.ExpireDue();
  EXPECT_FALSE(switches_.redis_outage);
  EXPECT_EQ(switches_.redis_latency_ms, 0);
  EXPECT_FALSE(switches_.model_failure);
  EXPECT_FALSE(switches_.exporter_outage);
  EXPECT_EQ(switches_.request_latency_ms, 0);
  EXPECT_DOUBLE_EQ(switches_.error_rate, 0.25);  // 20 s
  EXPECT_EQ(Injections("model_failure", "started"), 1);
  EXPECT_EQ(Injections("model_failure", "expired"), 1);
  const auto list = chaos_.List();
  ASSERT_EQ(list.at("experiments").as_array().size(), 1u);
  EXPECT_EQ(list.at("experiments").as_array()[0].at("fault"), "error_rate");
  EXPECT_DOUBLE_EQ(list.at("experiments").as_array()[0].at("remaining_seconds").as_double(), 10.0);
}

TEST_F(ChaosTest, ClearEndsItAndCountsStopped) {
  auto started = chaos_.Inject("exporter_outage", R"({"duration_seconds": 60})");
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->at("fault"), "exporter_outage");
  EXPECT_EQ(started->at("duration_seconds").as_double(), 60.0);
  auto cleared = chaos_.Clear("exporter_outage");
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(cleared->contains("ended_at"));
  EXPECT_FALSE(switches_.exporter_outage);
  EXPECT_EQ(Injections("exporter_outage", "stopped"), 1);
  auto again = chaos_.Clear("exporter_outage");
  EXPECT_EQ(again.status().code(), Code::kNotFound);
}

TEST_F(ChaosTest, SecondInjectionOfARunningFaultConflicts) {
  ASSERT_TRUE(chaos_.Inject("model_failure", R"({"duration_seconds": 5})").ok());
  auto second = chaos_.Inject("model_failure", R"({"duration_seconds": 5})");
  EXPECT_EQ(second.status().code(), Code::kConflict);
  EXPECT_EQ(Injections("model_failure", "rejected"), 1);
  EXPECT_EQ(Injections("model_failure", "started"), 1);
}

TEST_F(ChaosTest, UnknownFaultIsNotFoundListingTheKnownOnes) {
  auto r = chaos_.Inject("cosmic_ray", R"({"duration_seconds": 5})");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("redis_outage, redis_latency, model_failure, "
                                      "exporter_outage, request_latency, error_rate"),
            std::string::npos);
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"fault"});
  EXPECT_EQ(chaos_.Clear("cosmic_ray").status().code(), Code::kNotFound);
}

TEST_F(ChaosTest, BadDurationsNameTheField) {
  for (const char* body :
       {R"({"duration_seconds": 0})", R"({"duration_seconds": -1})",
        R"({"duration_seconds": 3601})", R"({"duration_seconds": "10"})",
        R"({"duration_seconds": null})", R"({"duration_seconds": 1e400})", R"({})",
        R"({"duration_seconds": true})"}) {
    auto r = chaos_.Inject("model_failure", body);
    EXPECT_EQ(r.status().code(), Code::kValidation) << body;
    EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"duration_seconds"}) << body;
  }
  EXPECT_TRUE(chaos_.Inject("model_failure", R"({"duration_seconds": 3600})").ok());
  EXPECT_FALSE(switches_.exporter_outage);
}

TEST_F(ChaosTest, UnknownOrBadParamsNameTheField) {
  struct Case {
    const char* fault;
    const char* body;
    std::vector<std::string> fields;
  } cases[] = {
      {"model_failure", R"({"duration_seconds": 5, "params": {"latency_ms": 5}})",
       {"params.latency_ms"}},
      {"request_latency", R"({"duration_seconds": 5, "params": {"latency": 5}})",
       {"params.latency", "params.latency_ms"}},
      {"request_latency", R"({"duration_seconds": 5})", {"params.latency_ms"}},
      {"request_latency", R"({"duration_seconds": 5, "params": {"latency_ms": 0}})",
       {"params.latency_ms"}},
      {"request_latency", R"({"duration_seconds": 5, "params": {"latency_ms": 10001}})",
       {"params.latency_ms"}},
      {"request_latency", R"({"duration_seconds": 5, "params": {"latency_ms": 1.5}})",
       {"params.latency_ms"}},
      {"error_rate", R"({"duration_seconds": 5, "params": {"rate": 1.5}})", {"params.rate"}},
      {"error_rate", R"({"duration_seconds": 5, "params": {"rate": "0.5"}})", {"params.rate"}},
      {"error_rate", R"({"duration_seconds": 5, "params": [1]})", {"params"}},
      {"exporter_outage", R"({"duration_seconds": 5, "extra": 1})", {"extra"}},
      {"exporter_outage", R"([1])", {"body"}},
  };
  for (const auto& c : cases) {
    auto r = chaos_.Inject(c.fault, c.body);
    EXPECT_EQ(r.status().code(), Code::kValidation) << c.body;
    EXPECT_EQ(Fields(r.status()), c.fields) << c.body;
  }
  EXPECT_EQ(switches_.request_latency_ms, 0);
  EXPECT_DOUBLE_EQ(switches_.error_rate, 0);
}

TEST_F(ChaosTest, MalformedJsonIsInvalidArgument) {
  auto r = chaos_.Inject("model_failure", R"({"duration_seconds": 5)");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Injections("model_failure", "rejected"), 1);
}

TEST_F(ChaosTest, RecoveryTimeRunsFromTheEndToTheFirstHealthyPass) {
  ASSERT_TRUE(chaos_.Inject("exporter_outage", R"({"duration_seconds": 1})").ok());
  probe_ = {resilience::HealthState::kDegraded, "breaker open"};
  clock_.Advance(1s);
  chaos_.ExpireDue();
  clock_.Advance(2s);
  (void)health_.CheckNow();  // still degraded: nothing recorded
  EXPECT_EQ(Metric(registry_, "astra_chaos_recovery_time_seconds", {{"type", "exporter_outage"}}),
            0);
  clock_.Advance(3s);
  probe_ = {};
  (void)health_.CheckNow();
  EXPECT_EQ(Metric(registry_, "astra_chaos_recovery_time_seconds", {{"type", "exporter_outage"}}),
            1);
  EXPECT_DOUBLE_EQ(Metric(registry_, "astra_chaos_recovery_time_seconds",
                          {{"type", "exporter_outage"}}, true),
                   5.0);
  (void)health_.CheckNow();  // measured once
  EXPECT_EQ(Metric(registry_, "astra_chaos_recovery_time_seconds", {{"type", "exporter_outage"}}),
            1);
}

TEST_F(ChaosTest, StopEndsEveryExperiment) {
  ASSERT_TRUE(chaos_.Inject("model_failure", R"({"duration_seconds": 100})").ok());
  chaos_.Stop();
  EXPECT_FALSE(switches_.model_failure);
}

class ChaosDisabledTest : public ChaosTest {
 protected:
  ChaosDisabledTest() : ChaosTest({.enabled = false, .redis_configured = true}) {}
};

TEST_F(ChaosDisabledTest, RefusesEveryInjectionWithPermissionDenied) {
  auto r = chaos_.Inject("model_failure", R"({"duration_seconds": 5})");
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("ASTRAGUARD_ENABLE_CHAOS=true"), std::string::npos);
  EXPECT_FALSE(switches_.model_failure);
  EXPECT_EQ(Injections("model_failure", "rejected"), 1);
  EXPECT_EQ(chaos_.Clear("model_failure").status().code(), Code::kPermissionDenied);
  EXPECT_FALSE(chaos_.List().at("enabled").as_bool());
}

class ChaosWithoutRedisTest : public ChaosTest {
 protected:
  ChaosWithoutRedisTest() : ChaosTest({.enabled = true, .redis_configured = false}) {}
};

TEST_F(ChaosWithoutRedisTest, RedisFaultsConflictWithoutARedis) {
  auto r = chaos_.Inject("redis_outage", R"({"duration_seconds": 5})");
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("REDIS_URL"), std::string::npos);
  EXPECT_FALSE(switches_.redis_outage);
}

TEST(ChaosTimerTest, TheTimerThreadEndsAnExperimentByItself) {
  SystemClock clock;
  prometheus::Registry registry;
  resilience::FaultSwitches switches;
  resilience::HealthRegistry health({}, clock, registry);
  Chaos chaos({}, switches, health, clock, registry);
  chaos.Start();
  ASSERT_TRUE(chaos.Inject("model_failure", R"({"duration_seconds": 0.05})").ok());
  EXPECT_TRUE(switches.model_failure);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (switches.model_failure && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(switches.model_failure);
}

}  // namespace
}  // namespace astraguard::chaos
