#include "astraguard/auth/redis_rate_limiter.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

namespace astraguard::auth {
namespace {

// KEYS[1] bucket; ARGV rate per second, burst. Returns {allowed 0|1, wait ms}.
constexpr std::string_view kScript = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
  at = now
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, wait}
)lua";

std::string Sha1Hex(std::string_view s) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  std::string hex;
  for (unsigned char c : digest) hex.append(fmt::format("{:02x}", c));
  return hex;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(kv::RedisClient& redis, RateLimiter& fallback,
                                   obs::Logger& logger)
    : redis_(redis), fallback_(fallback), logger_(logger), sha_(Sha1Hex(kScript)) {}

std::string RedisRateLimiter::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

Result<RateDecision> RedisRateLimiter::AcquireShared(std::string_view key, const RateLimit& limit) {
  std::string bucket("astraguard:ratelimit:");
  bucket.append(key);
  const std::string rate = fmt::format("{}", limit.per_second);
  const std::string burst = fmt::format("{}", limit.burst);
  auto r = redis_.Run({"EVALSHA", sha_, "1", bucket, rate, burst});
  if (!r.ok() && r.status().message().find("NOSCRIPT") != std::string::npos) {
    r = redis_.Run({"EVAL", std::string(kScript), "1", bucket, rate, burst});
  }
  if (!r.ok()) return r.status();
  if (r->type != kv::Reply::Type::kArray || r->elements.size() != 2) {
    return Status::Error(Code::kInternal, "rate limit script reply");
  }
  if (r->elements[0].integer == 1) return RateDecision{};
  return RateDecision{false, std::chrono::milliseconds(r->elements[1].integer)};
}

RateDecision RedisRateLimiter::Acquire(std::string_view key, const RateLimit& limit,
                                       std::chrono::steady_clock::time_point now) {
  if (limit.unlimited()) return {};
  auto shared = AcquireShared(key, limit);
  if (shared.ok()) {
    if (degraded_.load(std::memory_order_acquire) && degraded_.exchange(false)) {
      logger_.Warning("astraguard.auth", "rate_limiter_recovered",
                      {{"effect", "rate limits shared through redis again"}});
    }
    return *shared;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = shared.status().message();
  }
  if (!degraded_.exchange(true)) {
    logger_.Warning("astraguard.auth", "rate_limiter_degraded",
                    {{"error", std::string_view(shared.status().message())},
                     {"effect", "limiting with this instance's local buckets"}});
  }
  return fallback_.Acquire(key, limit, now);
}

}  // namespace astraguard::auth
