#pragma once
// CooldownStore: recovery-action cooldowns shared by every instance, so that two instances do not
// both emit the same action for the same satellite within its cooldown. mission::
// RecoveryOrchestrator asks it when one is given (RedisCooldownStore with REDIS_URL) and falls
// back to its own per-instance memory when it does not answer.
// Thread-safety: implementations must allow all methods to be called concurrently.

#include <cstdint>
#include <optional>
#include <string_view>

#include "astraguard/common/status.hpp"
#include "astraguard/kv/redis_client.hpp"

namespace astraguard::storage {

class CooldownStore {
 public:
  virtual ~CooldownStore() = default;
  // Claims (satellite, action) for `cooldown_ms` from `now_ms` (Unix ms) unless it is claimed
  // already: nullopt when this call claimed it (emit the action), else the Unix ms at which the
  // running claim was made (suppress it). kUnavailable when the backend is down.
  virtual Result<std::optional<int64_t>> Claim(std::string_view satellite, std::string_view action,
                                               int64_t now_ms, int64_t cooldown_ms) = 0;
};

// Key astraguard:cooldown:<satellite>:<action>, a string holding the claim's Unix ms, expiring
// with the cooldown (SET NX PX GET: one atomic command). Thread-safe; the client must outlive it.
class RedisCooldownStore final : public CooldownStore {
 public:
  explicit RedisCooldownStore(kv::RedisClient& redis) : redis_(redis) {}
  Result<std::optional<int64_t>> Claim(std::string_view satellite, std::string_view action,
                                       int64_t now_ms, int64_t cooldown_ms) override;

 private:
  kv::RedisClient& redis_;
};

}  // namespace astraguard::storage
