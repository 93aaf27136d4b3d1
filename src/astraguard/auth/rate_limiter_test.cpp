#include "astraguard/auth/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace astraguard::auth {
namespace {

using std::chrono::milliseconds;
const auto kT0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));

TEST(LocalRateLimiterTest, BurstThenRefillAtTheRate) {
  LocalRateLimiter limiter;
  const RateLimit limit{2.0, 3.0};  // 2/s, burst 3
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("k", limit, kT0).allowed) << i;
  RateDecision denied = limiter.Acquire("k", limit, kT0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, milliseconds(500));
  EXPECT_FALSE(limiter.Acquire("k", limit, kT0 + milliseconds(499)).allowed);
  EXPECT_TRUE(limiter.Acquire("k", limit, kT0 + milliseconds(500)).allowed);
  EXPECT_TRUE(limiter.Acquire("other", limit, kT0).allowed);  // buckets are per key
}

TEST(LocalRateLimiterTest, NeverHoldsMoreThanTheBurst) {
  LocalRateLimiter limiter;
  const RateLimit limit{10.0, 2.0};
  EXPECT_TRUE(limiter.Acquire("k", limit, kT0).allowed);
  const auto later = kT0 + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Acquire("k", limit, later).allowed);
  EXPECT_TRUE(limiter.Acquire("k", limit, later).allowed);
  EXPECT_FALSE(limiter.Acquire("k", limit, later).allowed);
}

TEST(LocalRateLimiterTest, UnlimitedTakesNoBucket) {
  LocalRateLimiter limiter;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Acquire("k", RateLimit{}, kT0).allowed);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(LocalRateLimiterTest, MemoryIsBoundedAndRefilledBucketsGoFirst) {
  LocalRateLimiter limiter(64);  // one bucket per shard
  const RateLimit limit{1.0, 1.0};
  for (int i = 0; i < 5000; ++i) {
    limiter.Acquire("client-" + std::to_string(i), limit, kT0 + milliseconds(i));
  }
  EXPECT_LE(limiter.size(), 64u);
}

}  // namespace
}  // namespace astraguard::auth
