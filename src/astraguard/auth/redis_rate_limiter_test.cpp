// The Redis token bucket against a real redis-server started on a free port.
#include "astraguard/auth/redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "astraguard/kv/testing/redis_server.hpp"

namespace astraguard::auth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.running()); }


  kv::testing::RedisServer server_;
  SystemClock clock_;
  obs::MemoryLogSink* sink_ = new obs::MemoryLogSink;
  obs::Logger logger_{obs::LogConfig{}, std::unique_ptr<obs::LogSink>(sink_), clock_};
  kv::RedisClient client_{server_.client_options()};
  kv::RedisClient other_client_{server_.client_options()};
  LocalRateLimiter local_;
  LocalRateLimiter other_local_;
};

TEST_F(RedisRateLimiterTest, TwoLimitersShareOneBucketWithATtl) {
  RedisRateLimiter a(client_, local_, logger_);
  RedisRateLimiter b(other_client_, other_local_, logger_);
  const RateLimit limit{1, 3};  // 1 per second, burst 3
  EXPECT_TRUE(a.Acquire("key:k1", limit, Clock::now()).allowed);
  EXPECT_TRUE(b.Acquire("key:k1", limit, Clock::now()).allowed);
  EXPECT_TRUE(a.Acquire("key:k1", limit, Clock::now()).allowed);
  const RateDecision denied = b.Acquire("key:k1", limit, Clock::now());
  EXPECT_FALSE(denied.allowed);
  EXPECT_GT(denied.retry_after, 0ms);
  EXPECT_LE(denied.retry_after, 1000ms);
  EXPECT_TRUE(b.Acquire("key:other", limit, Clock::now()).allowed);  // its own bucket
  EXPECT_FALSE(a.degraded());
  // The local buckets were never used.
  EXPECT_EQ(local_.size(), 0u);
  EXPECT_EQ(other_local_.size(), 0u);

  auto ttl = client_.Run({"PTTL", "astraguard:ratelimit:key:k1"});
  ASSERT_TRUE(ttl.ok()) << ttl.status().message();
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 4000);  // a full refill (3 s) plus 1 s
}

TEST_F(RedisRateLimiterTest, RefillsOnRedisTime) {
  RedisRateLimiter a(client_, local_, logger_);
  const RateLimit limit{20, 1};  // one token every 50 ms
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);
  const RateDecision denied = a.Acquire("k", limit, Clock::now());
  ASSERT_FALSE(denied.allowed);
  EXPECT_LE(denied.retry_after, 50ms);
  std::this_thread::sleep_for(denied.retry_after + 5ms);
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);
  EXPECT_TRUE(a.Acquire("unlimited", RateLimit{}, Clock::now()).allowed);
}

TEST_F(RedisRateLimiterTest, LoadsTheScriptAgainAfterAFlush) {
  RedisRateLimiter a(client_, local_, logger_);
  const RateLimit limit{1, 2};
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);
  ASSERT_TRUE(client_.Run({"SCRIPT", "FLUSH"}).ok());
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);   // NOSCRIPT, then EVAL
  EXPECT_FALSE(a.Acquire("k", limit, Clock::now()).allowed);  // same bucket in Redis
  EXPECT_FALSE(a.degraded());
  EXPECT_EQ(local_.size(), 0u);
}

TEST_F(RedisRateLimiterTest, FallsBackToLocalBucketsWhileRedisIsDown) {
  RedisRateLimiter a(client_, local_, logger_);
  const RateLimit limit{1, 2};
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);
  server_.Stop();
  const auto now = Clock::now();
  EXPECT_TRUE(a.Acquire("k", limit, now).allowed);  // local bucket, full
  EXPECT_TRUE(a.degraded());
  EXPECT_FALSE(a.last_error().empty());
  EXPECT_TRUE(a.Acquire("k", limit, now).allowed);
  EXPECT_FALSE(a.Acquire("k", limit, now).allowed);  // the local bucket still limits
  EXPECT_EQ(local_.size(), 1u);
  logger_.Flush();
  const std::string log = sink_->Contents();
  EXPECT_NE(log.find("rate_limiter_degraded"), std::string::npos) << log;
  EXPECT_EQ(log.find("rate_limiter_degraded"), log.rfind("rate_limiter_degraded"));  // once

  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(a.Acquire("k", limit, Clock::now()).allowed);  // a fresh Redis: full bucket
  EXPECT_FALSE(a.degraded());
  logger_.Flush();
  EXPECT_NE(sink_->Contents().find("rate_limiter_recovered"), std::string::npos);
}

}  // namespace
}  // namespace astraguard::auth
