#include "astraguard/resilience/retry.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "astraguard/resilience/testing/metric_value.hpp"

namespace astraguard::resilience {
namespace {

using testing::MetricValue;
using namespace std::chrono_literals;

TEST(BackoffTest, FullJitterStaysUnderTheExponentialCeiling) {
  std::mt19937_64 rng(42);
  const RetryOptions o;  // 500 ms base, 8 s cap
  const std::int64_t ceilings[] = {500, 1000, 2000, 4000, 8000, 8000, 8000};
  for (int retry = 0; retry < 7; ++retry) {
    std::int64_t max_seen = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto d = Backoff(o, retry, rng).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceilings[retry]) << "retry " << retry;
      max_seen = std::max(max_seen, d);
    }
    // Full jitter spreads over the whole range: the top decile is reached.
    EXPECT_GT(max_seen, ceilings[retry] * 9 / 10) << "retry " << retry;
  }
}

TEST(BackoffTest, SameSeedSameWaits) {
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Backoff({}, i, a), Backoff({}, i, b));
}

TEST(BackoffTest, HugeRetryIndexDoesNotOverflow) {
  std::mt19937_64 rng(1);
  EXPECT_LE(Backoff({}, 1000, rng), 8000ms);
}

TEST(RetryBudgetTest, AnOutageDrainsTheBudgetAfterHalfTheTokens) {
  RetryBudget budget({.max_tokens = 10, .token_ratio = 0.1});
  int failures = 0;
  while (budget.CanRetry()) {
    budget.AccountFail();
    ++failures;
  }
  EXPECT_EQ(failures, 5);
}

TEST(RetryBudgetTest, SuccessesRefillItSlowly) {
  RetryBudget budget({.max_tokens = 10, .token_ratio = 0.1});
  for (int i = 0; i < 5; ++i) budget.AccountFail();
  ASSERT_FALSE(budget.CanRetry());
  for (int i = 0; i < 10; ++i) budget.AccountOk();  // +1 token
  EXPECT_TRUE(budget.CanRetry());
}

TEST(RetryBudgetTest, NeverAboveTheMaximum) {
  RetryBudget budget({.max_tokens = 10, .token_ratio = 0.1});
  for (int i = 0; i < 1000; ++i) budget.AccountOk();
  for (int i = 0; i < 5; ++i) budget.AccountFail();
  EXPECT_FALSE(budget.CanRetry());
}

class RetrierTest : public ::testing::Test {
 protected:
  double Outcome(const char* outcome) {
    return MetricValue(registry_, "astra_retry_attempts_total",
                       {{"endpoint", "dep"}, {"outcome", outcome}});
  }
  // Sleeps on the fake clock and records every wait.
  Retrier::Sleep sleep_ = [this](std::chrono::milliseconds d) {
    waits_.push_back(d);
    clock_.Advance(d);
    return true;
  };
  static AttemptResult Retryable() {
    return {Status::Error(Code::kUnavailable, "503"), true, 0ms};
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  RetryBudget budget_;
  Retrier retrier_{"dep", RetryOptions{}, budget_, clock_, registry_, 1};
  std::vector<std::chrono::milliseconds> waits_;
};

TEST_F(RetrierTest, LabelSetsStartAtZero) {
  EXPECT_EQ(Outcome("success"), 0);
  EXPECT_EQ(Outcome("retry"), 0);
  EXPECT_EQ(Outcome("exhausted"), 0);
  EXPECT_EQ(MetricValue(registry_, "astra_retry_latency_seconds", {{"endpoint", "dep"}}), 0);
}

TEST_F(RetrierTest, SucceedsAfterTransientFailures) {
  int calls = 0;
  Status s = retrier_.Run(
      [&] { return ++calls < 3 ? Retryable() : AttemptResult{}; }, sleep_);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(waits_.size(), 2u);
  EXPECT_EQ(Outcome("retry"), 2);
  EXPECT_EQ(Outcome("success"), 1);
  EXPECT_EQ(Outcome("exhausted"), 0);
  EXPECT_EQ(MetricValue(registry_, "astra_retry_latency_seconds", {{"endpoint", "dep"}}), 1);
}

TEST_F(RetrierTest, GivesUpAfterMaxAttempts) {
  int calls = 0;
  Status s = retrier_.Run([&] { ++calls; return Retryable(); }, sleep_);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Outcome("exhausted"), 1);
  EXPECT_EQ(Outcome("retry"), 2);
}

TEST_F(RetrierTest, DoesNotRetryWhatIsNotRetryable) {
  int calls = 0;
  Status s = retrier_.Run(
      [&] {
        ++calls;
        return AttemptResult{Status::Error(Code::kInvalidArgument, "400"), false, 0ms};
      },
      sleep_);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(waits_.empty());
  EXPECT_EQ(Outcome("exhausted"), 1);
}

TEST_F(RetrierTest, HonoursRetryAfterUpToTheCap) {
  int calls = 0;
  (void)retrier_.Run(
      [&] {
        ++calls;
        return AttemptResult{Status::Error(Code::kUnavailable, "429"), true,
                             calls == 1 ? 3000ms : 60000ms};
      },
      sleep_);
  ASSERT_EQ(waits_.size(), 2u);
  EXPECT_GE(waits_[0], 3000ms);
  EXPECT_EQ(waits_[1], 8000ms);
}

TEST_F(RetrierTest, AnInterruptedSleepEndsTheRetries) {
  int calls = 0;
  Status s = retrier_.Run([&] { ++calls; return Retryable(); },
                          [](std::chrono::milliseconds) { return false; });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Outcome("exhausted"), 1);
}

TEST_F(RetrierTest, AnEmptyBudgetStopsRetryingInAnOutage) {
  int calls = 0;
  for (int i = 0; i < 100; ++i) (void)retrier_.Run([&] { ++calls; return Retryable(); }, sleep_);
  // Without a budget: 300 attempts. The budget (100 tokens, retries while > 50) allows
  // roughly 50 failed attempts before only first attempts remain.
  EXPECT_LT(calls, 160);
  EXPECT_GE(calls, 100);
}

TEST_F(RetrierTest, LatencyIncludesTheWaits) {
  int calls = 0;
  (void)retrier_.Run([&] { return ++calls < 2 ? Retryable() : AttemptResult{}; }, sleep_);
  double sum = -1;
  for (const auto& f : registry_.Collect())
    if (f.name == "astra_retry_latency_seconds") sum = f.metric.at(0).histogram.sample_sum;
  ASSERT_EQ(waits_.size(), 1u);
  EXPECT_DOUBLE_EQ(sum, std::chrono::duration<double>(waits_[0]).count());
}

}  // namespace
}  // namespace astraguard::resilience
