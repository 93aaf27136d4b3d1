#pragma once
// PhaseStore: the mission phase shared by every instance — its history of changes, the current
// phase being the last entry's `to`. mission::PhaseMachine keeps its own copy and syncs with a
// PhaseStore when one is given (RedisPhaseStore with REDIS_URL; none otherwise). Phases are
// plain names here, so storage never depends on mission/.
// Thread-safety: implementations must allow all methods to be called concurrently.
// Errors are values: kUnavailable when the backend is down (the caller keeps its own copy).

#include <cstdint>
#include <string>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/kv/redis_client.hpp"

namespace astraguard::storage {

struct PhaseEntry {
  std::string from, to;  // phase names
  int64_t at_ms = 0;     // Unix ms
  bool forced = false;
  bool automatic = false;
  std::string reason;
};

class PhaseStore {
 public:
  virtual ~PhaseStore() = default;
  // Stores `initial` as the first entry unless a history exists already.
  virtual Status Initialize(const PhaseEntry& initial) = 0;
  // The newest `limit` entries, oldest first (empty: never initialized).
  virtual Result<std::vector<PhaseEntry>> History(size_t limit) const = 0;
  // Appends `e` when the current phase is `e.from` (or, with `unconditional`, always); false when
  // another instance moved the phase first.
  virtual Result<bool> Append(const PhaseEntry& e, bool unconditional, size_t limit) = 0;
};

// Keys: astraguard:phase:history, a list of JSON entries (oldest first, trimmed to `limit`).
// Initialize and Append are Lua scripts (atomic compare-and-append).
// Thread-safe. The client must outlive the store.
class RedisPhaseStore final : public PhaseStore {
 public:
  explicit RedisPhaseStore(kv::RedisClient& redis) : redis_(redis) {}
  Status Initialize(const PhaseEntry& initial) override;
  Result<std::vector<PhaseEntry>> History(size_t limit) const override;
  Result<bool> Append(const PhaseEntry& e, bool unconditional, size_t limit) override;

 private:
  kv::RedisClient& redis_;
};

}  // namespace astraguard::storage
