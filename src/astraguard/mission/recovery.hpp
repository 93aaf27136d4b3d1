#pragma once
// RecoveryOrchestrator: turns a classified anomaly into a recovery action under the current
// phase's policy, with per-satellite episode tracking (anomalies of one type closer than
// episode_gap_seconds form one episode; recurrence = episodes of that type inside the policy's
// window; persistence = age of the current episode), per-(satellite, action) cooldowns, and
// escalation on recurrence via the policy's escalation rules. Every decision is recorded (bounded
// log) with its outcome and counted in astra_recovery_actions_total{type,status}.
//
// ENTER_SAFE_MODE changes the phase only when the policy says auto_safe_mode: true, and then as
// an explicit, recorded, automatic PhaseMachine transition that an operator reverses with
// POST /api/v1/phase. Nothing else ever changes the phase, so there is no silent lock-in.
//
// Shared cooldowns (optional `cooldowns` store, e.g. Redis): when an action has a cooldown, the
// store decides whether it is emitted or suppressed, across every instance; when the store does
// not answer, this instance's own memory decides (as without a store).
//
// Time comes from the Clock seam (`Now()` for windows and cooldowns, `WallNow()` for records).
// Thread-safe: all methods may be called concurrently. Per-satellite state is sharded by hash,
// one mutex per shard; the action log has its own mutex. Dependencies must outlive this object.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astraguard/common/clock.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/phase.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/storage/cooldown_store.hpp"

namespace astraguard::mission {

struct ActionRecord {
  uint64_t seq = 0;   // 1, 2, ... in decision order
  int64_t at_ms = 0;  // Unix ms
  std::string satellite_id;
  std::string anomaly_id;  // set by LinkAnomaly once the anomaly is stored
  FaultType type = FaultType::kUnknown;
  Severity severity = Severity::kLow;
  Phase phase = Phase::kNominalOps;
  Action action = Action::kLogEvent;
  ActionStatus status = ActionStatus::kRecommended;
  bool escalated = false;
  int recurrence = 1;
  std::string detail;  // decision reasoning plus outcome notes
};

struct RecoveryOutcome {
  Decision decision;
  Phase phase = Phase::kNominalOps;  // phase the decision was made in
  ActionStatus status = ActionStatus::kRecommended;
  int recurrence = 1;          // episodes of this type in the window, incl. the current one
  double episode_age_s = 0.0;  // how long the current episode has lasted
  uint64_t action_seq = 0;
  std::optional<PhaseChange> phase_change;  // set when auto_safe_mode changed the phase
  double cooldown_remaining_s = 0.0;        // > 0 when suppressed
};

class RecoveryOrchestrator {
 public:
  RecoveryOrchestrator(const PolicySet& policy, PhaseMachine& phases, const Clock& clock,
                       MissionMetrics& metrics, size_t log_limit = 1000,
                       size_t max_satellites = 100'000,
                       storage::CooldownStore* cooldowns = nullptr);

  RecoveryOutcome Handle(std::string_view satellite_id, FaultType type, double anomaly_score,
                         double confidence);
  // Attaches the stored anomaly's id to the action record `seq` (no-op if already evicted).
  void LinkAnomaly(uint64_t seq, std::string_view anomaly_id);
  // The action record `seq`, if still in the log.
  std::optional<ActionRecord> Get(uint64_t seq) const;

  // Newest first; optional filter by satellite; limit >= 1.
  std::vector<ActionRecord> Recent(size_t limit, std::optional<std::string_view> satellite) const;
  uint64_t decisions_total() const;
  // Anomalies of satellites beyond max_satellites (decided without recurrence/cooldown memory).
  int64_t untracked_total() const { return untracked_total_.load(std::memory_order_relaxed); }

 private:
  struct Episode {
    FaultType type;
    std::chrono::steady_clock::time_point start, last;
  };
  struct SatState {
    std::deque<Episode> episodes;  // oldest first, within the recurrence window
    std::array<std::optional<std::chrono::steady_clock::time_point>, kActionCount> last_action;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, SatState> sats;
  };
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxRecentPerSatellite = 512;

  const PolicySet& policy_;
  PhaseMachine& phases_;
  const Clock& clock_;
  MissionMetrics& metrics_;
  const size_t log_limit_;
  const size_t max_satellites_;
  storage::CooldownStore* const cooldowns_;
  std::atomic<size_t> tracked_{0};
  std::atomic<int64_t> untracked_total_{0};
  std::array<Shard, kShards> shards_;
  mutable std::mutex log_mu_;
  std::deque<ActionRecord> log_;  // guarded by log_mu_; oldest first
  uint64_t next_seq_ = 1;         // guarded by log_mu_
};

}  // namespace astraguard::mission
