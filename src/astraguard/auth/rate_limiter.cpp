#include "astraguard/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>

namespace astraguard::auth {
namespace {

using Clock = std::chrono::steady_clock;

struct Bucket {
  double tokens = 0;
  Clock::time_point at;  // when `tokens` was computed
  RateLimit limit;       // the limit it was last used with (for eviction)
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Refills `b` up to `now` under `limit`.
void Refill(Bucket& b, const RateLimit& limit, Clock::time_point now) {
  if (now > b.at) {
    b.tokens = std::min(limit.burst, b.tokens + Seconds(now - b.at) * limit.per_second);
    b.at = now;
  }
}

}  // namespace

struct LocalRateLimiter::Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>> buckets;
  std::deque<std::string> order;  // insertion order, for eviction
};

LocalRateLimiter::LocalRateLimiter(size_t max_buckets)
    : max_per_shard_(std::max<size_t>(1, max_buckets / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {}

LocalRateLimiter::~LocalRateLimiter() = default;

RateDecision LocalRateLimiter::Acquire(std::string_view key, const RateLimit& limit,
                                       Clock::time_point now) {
  if (limit.unlimited()) return {};
  Shard& shard = shards_[StringHash()(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) {
      std::erase_if(shard.buckets, [&](const auto& entry) {
        Bucket b = entry.second;
        Refill(b, b.limit, now);
        return b.tokens >= b.limit.burst;
      });
      std::erase_if(shard.order, [&](const std::string& k) { return !shard.buckets.contains(k); });
      if (shard.buckets.size() >= max_per_shard_) {
        shard.buckets.erase(shard.order.front());
        shard.order.pop_front();
      }
    }
    it = shard.buckets.emplace(std::string(key), Bucket{limit.burst, now, limit}).first;
    shard.order.emplace_back(key);
  }
  Bucket& b = it->second;
  b.limit = limit;
  Refill(b, limit, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait_s = (1.0 - b.tokens) / limit.per_second;
  return {false, std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_s * 1000.0)))};
}

size_t LocalRateLimiter::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].buckets.size();
  }
  return n;
}

}  // namespace astraguard::auth
