#pragma once
// PhaseMachine: the mission phase and its recorded history. Transitions follow the original's
// table (types.hpp IsAllowedTransition); `force` bypasses the table for any target (the original
// honoured force only for SAFE_MODE). Every change, manual or automatic, is recorded with who
// made it and why, so an automatic SAFE_MODE entry is visible and can be reversed.
//
// Shared phase (optional `shared` store, e.g. Redis): the store holds the phase every instance
// sees. The machine keeps a copy: History() and Transition() sync with the store first, and
// current() re-reads it at most once per `refresh` (one reader at a time; the others keep the
// copy), so another instance's change is seen within that interval. A transition is a
// compare-and-append in the store (no lost update between instances). While the store is
// unreachable, changes are made on the copy and appended to the store, in order, at the next
// sync that reaches it; then the store's phase is adopted.
//
// Thread-safe: all methods may be called concurrently. current() is a lock-free atomic read
// (it is on the per-anomaly path) except for the periodic re-read; changes and history take a
// mutex. History is bounded (oldest entries dropped). `clock` and `shared` must outlive it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/mission/types.hpp"
#include "astraguard/storage/phase_store.hpp"

namespace astraguard::mission {

struct PhaseChange {
  Phase from = Phase::kNominalOps;
  Phase to = Phase::kNominalOps;
  int64_t at_ms = 0;       // Unix ms (Clock::WallNow)
  bool forced = false;     // bypassed the transition table
  bool automatic = false;  // made by the recovery orchestrator, not an operator
  std::string reason;      // operator text or "anomaly <id>: <rule>"
};

struct PhaseChangeResult {
  bool changed = false;  // false: already in the target phase (no history entry)
  PhaseChange change;
};

class PhaseMachine {
 public:
  // `clock` must outlive the machine.
  PhaseMachine(const Clock& clock, Phase initial = Phase::kNominalOps, size_t history_limit = 256,
               storage::PhaseStore* shared = nullptr,
               std::chrono::milliseconds refresh = std::chrono::seconds(1));

  Phase current() const {
    if (shared_) MaybeRefresh();
    return current_.load(std::memory_order_acquire);
  }

  // kConflict (with the allowed targets in the message) when the table forbids from -> to and
  // !force. Same phase: ok, changed = false.
  Result<PhaseChangeResult> Transition(Phase to, bool force, bool automatic, std::string reason);

  std::vector<PhaseChange> History() const;  // oldest first; includes the initial entry
  int64_t changes_total() const { return changes_total_.load(std::memory_order_relaxed); }

 private:
  void MaybeRefresh() const;
  // Pushes unsynced changes, then adopts the store's history. Requires mu_.
  void SyncLocked() const;

  const Clock& clock_;
  const size_t history_limit_;
  storage::PhaseStore* const shared_;
  const std::chrono::milliseconds refresh_;
  mutable std::atomic<int64_t> next_refresh_ns_{0};  // steady-clock ns
  mutable std::atomic<Phase> current_;
  std::atomic<int64_t> changes_total_{0};
  mutable std::mutex mu_;
  mutable std::deque<PhaseChange> history_;   // guarded by mu_
  mutable std::deque<PhaseChange> unsynced_;  // guarded by mu_; made while the store was down
};

// Allowed targets from `from`, in enum order.
std::vector<Phase> AllowedTargets(Phase from);

}  // namespace astraguard::mission
