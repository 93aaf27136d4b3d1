#pragma once
// mission::Service: the facade the HTTP layer calls. Per telemetry record (after detection) it
// runs the sensor-signature check, classifies the fault type, decides and records the recovery
// action, and stores the anomaly; it also serves the phase, the action log, the anomaly history,
// operator feedback and a truthful status.
//
// Sensor signatures (stuck / dropout, see classifier.hpp) make a record anomalous even when the
// detector did not flag it: a limit or statistical detector cannot see a frozen sensor. An
// anomaly classified sensor_fault gets anomaly_score kSensorSignatureScore (MEDIUM in
// NOMINAL_OPS) whatever the detector scored the bogus reading, and confidence >= 0.9. A wheel
// spin-down signature alone gives anomaly_score kWheelSpinDownScore.
//
// Thread-safe: all methods may be called concurrently. Per-satellite sensor state is sharded by
// hash with one mutex per shard (one short lock per record). The policy, store, clock and
// metrics must outlive the service.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/detect/detection.hpp"
#include "astraguard/mission/classifier.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/phase.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/mission/recovery.hpp"
#include "astraguard/storage/action_log_store.hpp"
#include "astraguard/storage/anomaly_store.hpp"

namespace astraguard::mission {

inline constexpr double kSensorSignatureScore = 0.6;
inline constexpr double kWheelSpinDownScore = 0.75;  // HIGH in NOMINAL_OPS

struct ServiceOptions {
  Phase initial_phase = Phase::kNominalOps;
  size_t action_log_limit = 1000;
  size_t phase_history_limit = 256;
  // Per-satellite state (sensor signatures, recurrence, cooldowns) is kept for at most this many
  // satellites; later ones are still assessed, without that memory.
  size_t max_tracked_satellites = 100'000;
  // The phase shared with other instances (Redis); null: this instance's own.
  storage::PhaseStore* shared_phase = nullptr;
  // Recovery-action cooldowns shared with other instances (Redis); null: this instance's own.
  storage::CooldownStore* shared_cooldowns = nullptr;
  // The recovery-action log shared with other instances (Redis); null: this instance's own.
  storage::ActionLogStore* shared_actions = nullptr;
};

// One telemetry record as the mission layer needs it.
struct RecordInput {
  std::string_view satellite_id;
  int64_t timestamp_ms = 0;  // Unix ms
  Readings readings;
};

struct Assessment {
  bool is_anomaly = false;
  std::string anomaly_id;  // empty when not an anomaly or when storing failed
  double anomaly_score = 0.0;
  double confidence = 0.0;
  double severity_score = 0.0;
  Severity severity = Severity::kLow;
  FaultType type = FaultType::kUnknown;
  std::string classification_reason;
  std::vector<std::string> channels;
  Phase phase = Phase::kNominalOps;
  Action action = Action::kLogEvent;
  ActionStatus action_status = ActionStatus::kRecommended;
  bool escalated = false;
  int recurrence = 0;
  std::string reasoning;
  bool phase_changed = false;  // this anomaly moved the phase to SAFE_MODE (auto_safe_mode)
  Status store_status;         // non-ok when the anomaly could not be stored
};

struct PhaseView {
  Phase phase;
  const PhasePolicy* policy;  // points into the PolicySet
  std::vector<PhaseChange> history;
};

struct FeedbackResult {
  storage::AnomalyRecord record;
  int64_t confirmed = 0, false_positive = 0;  // labelled counts kept by the anomaly store
  double accuracy = 0.0;                      // confirmed / labelled, 0 if none
};

struct StatusView {
  // "ok" or "degraded" (the service's own health: store unhealthy or a store write failed in
  // the last 60 s). The mission phase, SAFE_MODE included, is reported separately.
  std::string status;
  std::vector<std::string> problems;  // why degraded; empty when ok
  Phase phase;
  double uptime_s = 0.0;
  storage::StoreStats store;
  int64_t records_total = 0, anomalies_total = 0, store_failures_total = 0;
  int64_t sensor_signatures_total = 0;
  int64_t tracked_satellites = 0;   // with per-satellite sensor state
  int64_t untracked_anomalies = 0;  // decided without recurrence/cooldown memory (cap reached)
  int64_t confirmed = 0, false_positive = 0;
  double accuracy = 0.0;
  uint64_t actions_total = 0;
  std::string policy_source;
  bool auto_safe_mode = false;
};

class Service {
 public:
  Service(const PolicySet& policy, storage::AnomalyStore& store, const Clock& clock,
          MissionMetrics& metrics, const ServiceOptions& options = {});

  // Called once per telemetry record after detection.
  Assessment Process(const RecordInput& record, const detect::Detection& detection);

  PhaseView GetPhase() const;
  // The current phase alone (one atomic load; for the per-record path).
  Phase current_phase() const;
  // kConflict on a transition the table forbids unless force.
  Result<PhaseChangeResult> SetPhase(Phase target, bool force, std::string reason);

  std::vector<ActionRecord> RecentActions(size_t limit,
                                          std::optional<std::string_view> satellite) const;
  Result<storage::AnomalyPage> QueryHistory(const storage::AnomalyQuery& query) const;
  Result<storage::AnomalyRecord> GetAnomaly(std::string_view id) const;
  Result<FeedbackResult> SubmitFeedback(std::string_view id, storage::FeedbackLabel label,
                                        std::string note);
  StatusView GetStatus() const;

  const PolicySet& policy() const { return policy_; }

 private:
  struct SensorShard {
    std::mutex mu;
    std::unordered_map<std::string, SensorHealth> sats;
  };
  static constexpr size_t kShards = 16;
  SensorSignature CheckSensors(const RecordInput& record);

  const PolicySet& policy_;
  storage::AnomalyStore& store_;
  const Clock& clock_;
  MissionMetrics& metrics_;
  const ServiceOptions options_;
  const std::chrono::steady_clock::time_point started_;
  PhaseMachine phases_;
  RecoveryOrchestrator recovery_;
  std::array<SensorShard, kShards> sensor_shards_;
  std::atomic<size_t> tracked_satellites_{0};
  std::atomic<int64_t> records_total_{0}, anomalies_total_{0}, store_failures_total_{0};
  std::atomic<int64_t> sensor_signatures_total_{0};
  std::atomic<int64_t> last_store_failure_ns_{0};  // steady-clock ns; 0 = never
};

}  // namespace astraguard::mission
