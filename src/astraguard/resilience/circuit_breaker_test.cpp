#include "astraguard/resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "astraguard/resilience/testing/metric_value.hpp"

namespace astraguard::resilience {
namespace {

using testing::MetricValue;
using namespace std::chrono_literals;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  double Transitions(const char* from, const char* to) {
    return MetricValue(registry_, "astra_circuit_breaker_transitions_total",
                       {{"name", "dep"}, {"from_state", from}, {"to_state", to}});
  }
  double StateGauge() {
    return MetricValue(registry_, "astra_circuit_breaker_state", {{"name", "dep"}});
  }
  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.Allow());
      breaker_.RecordFailure("connection refused");
    }
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  CircuitBreaker breaker_{"dep", BreakerOptions{}, clock_, registry_};
};

TEST_F(CircuitBreakerTest, StartsClosedWithEveryTransitionAtZero) {
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_EQ(StateGauge(), 0);
  EXPECT_EQ(Transitions("closed", "open"), 0);
  EXPECT_EQ(Transitions("open", "half_open"), 0);
  EXPECT_EQ(Transitions("half_open", "closed"), 0);
  EXPECT_EQ(Transitions("half_open", "open"), 0);
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  Fail(4);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  Fail(1);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_EQ(StateGauge(), 1);
  EXPECT_EQ(Transitions("closed", "open"), 1);
  EXPECT_EQ(breaker_.last_error(), "connection refused");
}

TEST_F(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  Fail(4);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();
  Fail(4);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpensAfterTheOpenTimeout) {
  Fail(5);
  clock_.Advance(59s);
  EXPECT_FALSE(breaker_.Allow());
  clock_.Advance(1s);
  EXPECT_TRUE(breaker_.Allow());
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(StateGauge(), 2);
  EXPECT_EQ(Transitions("open", "half_open"), 1);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsOnlySuccessThresholdTrials) {
  Fail(5);
  clock_.Advance(60s);
  EXPECT_TRUE(breaker_.Allow());
  EXPECT_TRUE(breaker_.Allow());
  EXPECT_FALSE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, ClosesAfterSuccessThresholdSuccesses) {
  Fail(5);
  clock_.Advance(60s);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_EQ(StateGauge(), 0);
  EXPECT_EQ(Transitions("half_open", "closed"), 1);
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, HalfOpenFailureReopensAndRestartsTheTimeout) {
  Fail(5);
  clock_.Advance(60s);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordFailure("still down");
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  EXPECT_EQ(Transitions("half_open", "open"), 1);
  EXPECT_EQ(breaker_.last_error(), "still down");
  clock_.Advance(59s);
  EXPECT_FALSE(breaker_.Allow());
  clock_.Advance(1s);
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, SinceMovesWithEachTransition) {
  const auto before = breaker_.since_unix_ms();
  clock_.Advance(3s);
  Fail(5);
  EXPECT_EQ(breaker_.since_unix_ms(), before + 3000);
}

TEST(CircuitBreakerOptionsTest, ThresholdsAndTimeoutAreConfigurable) {
  FakeClock clock;
  prometheus::Registry registry;
  CircuitBreaker b("x", {.failure_threshold = 1, .success_threshold = 1, .open_timeout = 2s},
                   clock, registry);
  ASSERT_TRUE(b.Allow());
  b.RecordFailure();
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.Advance(2s);
  ASSERT_TRUE(b.Allow());
  b.RecordSuccess();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreakerConcurrencyTest, ConcurrentFailuresOpenItExactlyOnce) {
  SystemClock clock;
  prometheus::Registry registry;
  CircuitBreaker b("c", {}, clock, registry);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (b.Allow()) b.RecordFailure("x");
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(MetricValue(registry, "astra_circuit_breaker_transitions_total",
                        {{"name", "c"}, {"from_state", "closed"}, {"to_state", "open"}}),
            1);
}

}  // namespace
}  // namespace astraguard::resilience
