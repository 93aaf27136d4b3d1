#include "astraguard/mission/service.hpp"

#include "astraguard/mission/json.hpp"

#include <algorithm>
#include <functional>

namespace astraguard::mission {

Service::Service(const PolicySet& policy, storage::AnomalyStore& store, const Clock& clock,
                 MissionMetrics& metrics, const ServiceOptions& options)
    : policy_(policy),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      options_(options),
      started_(clock.Now()),
      phases_(clock, options.initial_phase, options.phase_history_limit, options.shared_phase),
      recovery_(policy, phases_, clock, metrics, options.action_log_limit,
                options.max_tracked_satellites, options.shared_cooldowns) {
  metrics_.SetPhase(options.initial_phase);
}

SensorSignature Service::CheckSensors(const RecordInput& record) {
  SensorShard& shard = sensor_shards_[std::hash<std::string_view>{}(record.satellite_id) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.sats.find(std::string(record.satellite_id));
  if (it == shard.sats.end()) {
    if (tracked_satellites_.load(std::memory_order_relaxed) >= options_.max_tracked_satellites) {
      return {};
    }
    tracked_satellites_.fetch_add(1, std::memory_order_relaxed);
    it = shard.sats
             .emplace(std::string(record.satellite_id), SensorHealth(policy_.global.sensor_checks))
             .first;
  }
  return it->second.Update(record.readings);
}

Phase Service::current_phase() const { return phases_.current(); }

Assessment Service::Process(const RecordInput& record, const detect::Detection& detection) {
  records_total_.fetch_add(1, std::memory_order_relaxed);
  const SensorSignature sig = CheckSensors(record);
  Assessment a;
  a.phase = phases_.current();
  if (!detection.is_anomaly && !sig.any()) return a;

  a.is_anomaly = true;
  a.anomaly_score = detection.is_anomaly ? detection.anomaly_score : 0.0;
  a.confidence = detection.is_anomaly ? detection.confidence : 0.0;
  if (sig.any()) {
    sensor_signatures_total_.fetch_add(1, std::memory_order_relaxed);
    a.anomaly_score = std::max(a.anomaly_score, kSensorSignatureScore);
    a.confidence = std::max(a.confidence, 0.9);
  }
  Classification c = ClassifyFault(detection, record.readings, sig);
  // A broken sensor's own readings say nothing about the spacecraft: its severity is that of
  // the sensor failure, not of the (bogus) value the detector saw.
  if (c.type == FaultType::kSensor) a.anomaly_score = kSensorSignatureScore;
  if (sig.wheel_spin_down && !detection.is_anomaly) {
    a.anomaly_score = std::max(a.anomaly_score, kWheelSpinDownScore);
  }
  a.type = c.type;
  a.classification_reason = std::move(c.reason);
  a.channels = std::move(c.channels);

  RecoveryOutcome o = recovery_.Handle(record.satellite_id, a.type, a.anomaly_score, a.confidence);
  a.phase = o.phase;
  a.severity = o.decision.severity;
  a.severity_score = o.decision.severity_score;
  a.action = o.decision.action;
  a.action_status = o.status;
  a.escalated = o.decision.escalated;
  a.recurrence = o.recurrence;
  a.reasoning = o.decision.reasoning;
  a.phase_changed = o.phase_change.has_value();
  anomalies_total_.fetch_add(1, std::memory_order_relaxed);
  metrics_.ClassifiedCounter(a.type, a.severity).Increment();

  storage::AnomalyRecord r;
  r.satellite_id = std::string(record.satellite_id);
  r.timestamp_ms = record.timestamp_ms;
  r.recorded_ms = UnixMillis(clock_.WallNow());
  r.anomaly_score = a.anomaly_score;
  r.severity_score = a.severity_score;
  r.severity_rank = static_cast<int>(a.severity);
  r.severity_level = std::string(SeverityName(a.severity));
  r.confidence = a.confidence;
  r.anomaly_type = std::string(FaultTypeName(a.type));
  r.classification_reason = a.classification_reason;
  r.mission_phase = std::string(PhaseName(a.phase));
  r.recommended_action = std::string(ActionName(a.action));
  r.action_status = std::string(ActionStatusName(a.action_status));
  r.escalated = a.escalated;
  r.recurrence_count = a.recurrence;
  r.reasoning = a.reasoning;
  for (int i = 0; i < kStdChannelCount; ++i) {
    if (record.readings.present[i]) {
      r.values.emplace_back(std::string(StdChannelName(static_cast<StdChannel>(i))),
                            record.readings.value[i]);
    }
  }
  for (const auto& k : detection.contributing) {
    r.contributing.push_back({k.channel, k.value, k.score, k.reason});
  }
  auto id = store_.Append(std::move(r));
  if (id.ok()) {
    a.anomaly_id = *id;
    recovery_.LinkAnomaly(o.action_seq, a.anomaly_id);
  } else {
    store_failures_total_.fetch_add(1, std::memory_order_relaxed);
    last_store_failure_ns_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
            .count(),
        std::memory_order_relaxed);
    a.store_status = id.status();
  }
  if (options_.shared_actions != nullptr) {
    // A failed push is not retried: the action stays in this instance's own log.
    if (auto rec = recovery_.Get(o.action_seq)) {
      (void)options_.shared_actions->Push(boost::json::serialize(ActionJson(*rec)));
    }
  }
  return a;
}

PhaseView Service::GetPhase() const {
  auto history = phases_.History();  // synced with the shared phase, if any
  const Phase p = history.empty() ? phases_.current() : history.back().to;
  metrics_.SetPhase(p);  // another instance may have changed a shared phase
  return {p, &policy_.For(p), std::move(history)};
}

Result<PhaseChangeResult> Service::SetPhase(Phase target, bool force, std::string reason) {
  auto res = phases_.Transition(target, force, /*automatic=*/false, std::move(reason));
  if (res.ok() && res->changed) {
    (res->change.forced ? metrics_.transitions_forced() : metrics_.transitions_manual())
        .Increment();
    metrics_.SetPhase(target);
  }
  return res;
}

std::vector<ActionRecord> Service::RecentActions(size_t limit,
                                                 std::optional<std::string_view> satellite) const {
  if (options_.shared_actions != nullptr) {
    // While the shared log does not answer, this instance's own log answers.
    if (auto shared = options_.shared_actions->Recent(limit, satellite); shared.ok()) {
      std::vector<ActionRecord> out;
      for (const auto& entry : *shared) {
        if (auto rec = ParseActionJson(entry)) out.push_back(std::move(*rec));
      }
      return out;
    }
  }
  return recovery_.Recent(limit, satellite);
}

Result<storage::AnomalyPage> Service::QueryHistory(const storage::AnomalyQuery& query) const {
  return store_.Query(query);
}

Result<storage::AnomalyRecord> Service::GetAnomaly(std::string_view id) const {
  return store_.Get(id);
}

Result<FeedbackResult> Service::SubmitFeedback(std::string_view id, storage::FeedbackLabel label,
                                               std::string note) {
  auto up = store_.SetFeedback(id, {label, std::move(note), UnixMillis(clock_.WallNow())});
  if (!up.ok()) return up.status();
  if (label == storage::FeedbackLabel::kFalsePositive) {
    metrics_.false_positives(up->record.contributing.empty()).Increment();
    metrics_.feedback_false_positive().Increment();
  } else {
    metrics_.feedback_confirmed().Increment();
  }
  FeedbackResult fr;
  fr.record = std::move(up->record);
  fr.confirmed = up->counts.confirmed;
  fr.false_positive = up->counts.false_positive;
  const int64_t labelled = fr.confirmed + fr.false_positive;
  fr.accuracy = labelled > 0 ? static_cast<double>(fr.confirmed) / labelled : 0.0;
  metrics_.accuracy().Set(fr.accuracy);
  return fr;
}

StatusView Service::GetStatus() const {
  StatusView v;
  v.phase = phases_.current();
  v.uptime_s = std::chrono::duration<double>(clock_.Now() - started_).count();
  v.store = store_.Stats();
  v.records_total = records_total_.load();
  v.anomalies_total = anomalies_total_.load();
  v.store_failures_total = store_failures_total_.load();
  v.sensor_signatures_total = sensor_signatures_total_.load();
  v.tracked_satellites = static_cast<int64_t>(tracked_satellites_.load());
  v.untracked_anomalies = recovery_.untracked_total();
  v.confirmed = v.store.feedback.confirmed;
  v.false_positive = v.store.feedback.false_positive;
  const int64_t labelled = v.confirmed + v.false_positive;
  v.accuracy = labelled > 0 ? static_cast<double>(v.confirmed) / labelled : 0.0;
  v.actions_total = recovery_.decisions_total();
  v.policy_source = policy_.source;
  v.auto_safe_mode = policy_.global.auto_safe_mode;
  if (!v.store.healthy) {
    std::string problem = "anomaly store (" + v.store.backend + ") unhealthy";
    if (!v.store.last_error.empty()) problem.append(": ").append(v.store.last_error);
    v.problems.push_back(std::move(problem));
  }
  const auto last_fail = last_store_failure_ns_.load(std::memory_order_relaxed);
  if (last_fail != 0 && clock_.Now().time_since_epoch() - std::chrono::nanoseconds(last_fail) <
                            std::chrono::seconds(60)) {
    v.problems.push_back("anomaly store write failed within the last 60 s");
  }
  v.status = v.problems.empty() ? "ok" : "degraded";
  return v;
}

}  // namespace astraguard::mission
