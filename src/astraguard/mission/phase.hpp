#pragma once
// PhaseMachine: the mission phase and its recorded history. Transitions follow the original's
// table (types.hpp IsAllowedTransition); `force` bypasses the table for any target (the original
// honoured force only for SAFE_MODE). Every change, manual or automatic, is recorded with who
// made it and why, so an automatic SAFE_MODE entry is visible and can be reversed.
//
// Thread-safe: all methods may be called concurrently. current() is a lock-free atomic read
// (it is on the per-anomaly path); changes and history take a mutex. History is bounded
// (oldest entries dropped).

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
  PhaseMachine(const Clock& clock, Phase initial = Phase::kNominalOps, size_t history_limit = 256);

  Phase current() const { return current_.load(std::memory_order_acquire); }

  // kConflict (with the allowed targets in the message) when the table forbids from -> to and
  // !force. Same phase: ok, changed = false.
  Result<PhaseChangeResult> Transition(Phase to, bool force, bool automatic, std::string reason);

  std::vector<PhaseChange> History() const;  // oldest first; includes the initial entry
  int64_t changes_total() const { return changes_total_.load(std::memory_order_relaxed); }

 private:
  const Clock& clock_;
  const size_t history_limit_;
  std::atomic<Phase> current_;
  std::atomic<int64_t> changes_total_{0};
  mutable std::mutex mu_;
  std::deque<PhaseChange> history_;  // guarded by mu_
};

// Allowed targets from `from`, in enum order.
std::vector<Phase> AllowedTargets(Phase from);
int64_t ToUnixMs(std::chrono::system_clock::time_point t);

}  // namespace astraguard::mission
