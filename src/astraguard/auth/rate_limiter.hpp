#pragma once
// Rate limiting: token buckets behind a small interface, so that a shared (Redis) limiter can
// take the place of the in-process one. A bucket holds at most `burst` tokens, refills at
// `per_second`, and each request takes one; an empty bucket answers with the time until the
// next token (the Retry-After).
//
// LocalRateLimiter keeps the buckets in memory, sharded by the hash of the bucket key, each
// shard with its own mutex (no global lock), at most `max_buckets` in all: a full shard first
// drops buckets that have refilled (an idle full bucket is the same as none), then its oldest
// insertion.
//
// Thread-safe: Acquire may be called concurrently.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace astraguard::auth {

struct RateLimit {
  double per_second = 0;  // 0: unlimited
  double burst = 0;       // bucket size (>= 1 when limited)
  bool unlimited() const { return per_second <= 0; }
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when denied: until a token is available
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token from the bucket `key` (created full); `now` is a steady-clock time.
  virtual RateDecision Acquire(std::string_view key, const RateLimit& limit,
                               std::chrono::steady_clock::time_point now) = 0;
};

class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(size_t max_buckets = 100000);
  ~LocalRateLimiter() override;
  RateDecision Acquire(std::string_view key, const RateLimit& limit,
                       std::chrono::steady_clock::time_point now) override;
  size_t size() const;  // buckets held (for tests)

 private:
  static constexpr size_t kShards = 64;
  struct Shard;
  size_t max_per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace astraguard::auth
