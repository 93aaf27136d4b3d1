#pragma once
// RedisRateLimiter: the token buckets in Redis, so that every instance on one Redis shares each
// caller's limit. One bucket is the hash `astraguard:ratelimit:<bucket>` {tokens, at}; a Lua
// script refills it on Redis's own clock (TIME, so instances' clocks never disagree), takes a
// token or computes the wait, and sets a TTL of one full refill plus 1 s (an idle bucket expires
// when it would be full anyway): one atomic round trip, EVALSHA with EVAL on NOSCRIPT. The
// `now` argument of Acquire is used only by the local fallback.
//
// The call goes through the client (its per-call budget and its `redis` circuit breaker). When it
// fails, the request is limited by `fallback` (the in-process buckets) instead, the limiter is
// degraded (degraded(), last_error()) and logs `rate_limiter_degraded` once per outage and
// `rate_limiter_recovered` when Redis answers again.
//
// Thread-safe: Acquire may be called concurrently. The client, the fallback and the logger must
// outlive it.

#include <atomic>
#include <mutex>
#include <string>

#include "astraguard/auth/rate_limiter.hpp"
#include "astraguard/kv/redis_client.hpp"
#include "astraguard/obs/log/logger.hpp"

namespace astraguard::auth {

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(kv::RedisClient& redis, RateLimiter& fallback, obs::Logger& logger);
  RateDecision Acquire(std::string_view key, const RateLimit& limit,
                       std::chrono::steady_clock::time_point now) override;

  bool degraded() const { return degraded_.load(std::memory_order_acquire); }
  std::string last_error() const;  // of the last failed call ("" before any)

 private:
  Result<RateDecision> AcquireShared(std::string_view key, const RateLimit& limit);

  kv::RedisClient& redis_;
  RateLimiter& fallback_;
  obs::Logger& logger_;
  const std::string sha_;  // SHA-1 of the script, for EVALSHA
  std::atomic<bool> degraded_{false};
  mutable std::mutex mu_;
  std::string last_error_;  // guarded by mu_
};

}  // namespace astraguard::auth
