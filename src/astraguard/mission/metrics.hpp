#pragma once
// MissionMetrics: every Prometheus handle the mission component updates, resolved once at
// construction (the hot path is one atomic add; no label lookups per anomaly).
//
//   astra_recovery_actions_total{type,status}        counter  actions decided, by outcome
//   astra_anomalies_classified_total{type,severity}  counter  anomalies by fault type/severity
//   astra_false_positives_total{detector}            counter  false_positive feedback given;
//                                                             detector = limits | sensor_signature
//   astra_anomaly_feedback_total{label}              counter  all feedback, by label
//   astra_detection_accuracy                         gauge    confirmed / (confirmed +
//   false_positive) astra_mission_phase{phase}                       gauge    1 for the current
//   phase, else 0 astra_phase_transitions_total{kind}              counter  kind =
//   manual|forced|automatic
//
// The help texts of astra_recovery_actions_total and astra_detection_accuracy are the ones
// /metrics has always shown (Prometheus users see them); detection_metrics.hpp has the
// per-record detection families.
// Thread-safe (prometheus-cpp metrics are). The registry must outlive this object.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>

#include "astraguard/mission/types.hpp"

namespace astraguard::mission {

class MissionMetrics {
 public:
  explicit MissionMetrics(prometheus::Registry& registry);

  prometheus::Counter& ActionCounter(mission::Action a, ActionStatus s) {
    return *actions_[static_cast<int>(a)][static_cast<int>(s)];
  }
  prometheus::Counter& ClassifiedCounter(FaultType t, Severity s) {
    return *classified_[static_cast<int>(t)][static_cast<int>(s)];
  }
  // `signature_only`: the anomaly came from a sensor signature, not from the limit checks.
  prometheus::Counter& false_positives(bool signature_only) {
    return *false_positives_[signature_only ? 1 : 0];
  }
  prometheus::Counter& feedback_confirmed() { return *feedback_confirmed_; }
  prometheus::Counter& feedback_false_positive() { return *feedback_false_positive_; }
  prometheus::Gauge& accuracy() { return *accuracy_; }
  void SetPhase(Phase p);
  prometheus::Counter& transitions_manual() { return *transitions_[0]; }
  prometheus::Counter& transitions_forced() { return *transitions_[1]; }
  prometheus::Counter& transitions_automatic() { return *transitions_[2]; }

 private:
  std::array<std::array<prometheus::Counter*, kActionStatusCount>, kActionCount> actions_{};
  std::array<std::array<prometheus::Counter*, 4>, kFaultTypeCount> classified_{};
  std::array<prometheus::Counter*, 2> false_positives_{};
  prometheus::Counter* feedback_confirmed_ = nullptr;
  prometheus::Counter* feedback_false_positive_ = nullptr;
  prometheus::Gauge* accuracy_ = nullptr;
  std::array<prometheus::Gauge*, kPhaseCount> phase_{};
  std::array<prometheus::Counter*, 3> transitions_{};
};

}  // namespace astraguard::mission
