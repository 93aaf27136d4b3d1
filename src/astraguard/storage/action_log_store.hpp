#pragma once
// ActionLogStore: the recovery-action log shared by every instance (GET
// /api/v1/recovery/actions). mission::Service pushes each decided action to it when one is given
// (RedisActionLogStore with REDIS_URL) and keeps its own bounded log as well, which it answers
// from while the store does not answer. Entries are JSON objects with a string `satellite_id`
// (the mission layer owns their other fields).
// Thread-safety: implementations must allow all methods to be called concurrently.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/kv/redis_client.hpp"

namespace astraguard::storage {

class ActionLogStore {
 public:
  virtual ~ActionLogStore() = default;
  // Adds `entry` as the newest; the oldest beyond the capacity are dropped.
  virtual Status Push(std::string entry) = 0;
  // Newest first, at most `limit` (>= 1), only `satellite`'s when given.
  virtual Result<std::vector<std::string>> Recent(size_t limit,
                                                  std::optional<std::string_view> satellite) = 0;
};

// Key astraguard:recovery_actions, a list, newest first (LPUSH and LTRIM to `capacity` in one
// round trip). A satellite filter reads the whole list (at most `capacity`) and keeps that
// satellite's entries. Thread-safe; the client must outlive it.
class RedisActionLogStore final : public ActionLogStore {
 public:
  RedisActionLogStore(kv::RedisClient& redis, size_t capacity)
      : redis_(redis), capacity_(capacity < 1 ? 1 : capacity) {}
  Status Push(std::string entry) override;
  Result<std::vector<std::string>> Recent(size_t limit,
                                          std::optional<std::string_view> satellite) override;

 private:
  kv::RedisClient& redis_;
  const size_t capacity_;
};

}  // namespace astraguard::storage
