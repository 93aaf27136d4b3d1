#include "astraguard/mission/metrics.hpp"

#include <string>

namespace astraguard::mission {

MissionMetrics::MissionMetrics(prometheus::Registry& registry) {
  auto& actions = prometheus::BuildCounter()
                      .Name("astra_recovery_actions_total")
                      .Help("Recovery actions executed by type and status.")
                      .Register(registry);
  for (int a = 0; a < kActionCount; ++a)
    for (int s = 0; s < kActionStatusCount; ++s)
      actions_[a][s] =
          &actions.Add({{"type", std::string(ActionName(static_cast<mission::Action>(a)))},
                        {"status", std::string(ActionStatusName(static_cast<ActionStatus>(s)))}});

  auto& classified = prometheus::BuildCounter()
                         .Name("astra_anomalies_classified_total")
                         .Help("Anomalies by classified fault type and severity level")
                         .Register(registry);
  for (int t = 0; t < kFaultTypeCount; ++t)
    for (int s = 0; s < 4; ++s)
      classified_[t][s] =
          &classified.Add({{"type", std::string(FaultTypeName(static_cast<FaultType>(t)))},
                           {"severity", std::string(SeverityName(static_cast<Severity>(s)))}});

  auto& fp = prometheus::BuildCounter()
                 .Name("astra_false_positives_total")
                 .Help("Detections later marked as false positives, by detector.")
                 .Register(registry);
  false_positives_[0] = &fp.Add({{"detector", "engine"}});  // limits + learned model
  false_positives_[1] = &fp.Add({{"detector", "sensor_signature"}});
  auto& feedback = prometheus::BuildCounter()
                       .Name("astra_anomaly_feedback_total")
                       .Help("Operator feedback on anomalies, by label")
                       .Register(registry);
  feedback_confirmed_ = &feedback.Add({{"label", "confirmed"}});
  feedback_false_positive_ = &feedback.Add({{"label", "false_positive"}});
  accuracy_ =
      &prometheus::BuildGauge()
           .Name("astra_detection_accuracy")
           .Help("Detection accuracy (0-1) from the latest labelled evaluation.")
           .Register(registry)
           .Add({});
  auto& phase = prometheus::BuildGauge()
                    .Name("astra_mission_phase")
                    .Help("Current mission phase (1 for the active phase)")
                    .Register(registry);
  for (int p = 0; p < kPhaseCount; ++p)
    phase_[p] = &phase.Add({{"phase", std::string(PhaseName(static_cast<Phase>(p)))}});
  auto& tr = prometheus::BuildCounter()
                 .Name("astra_phase_transitions_total")
                 .Help("Mission phase changes by kind (manual, forced, automatic)")
                 .Register(registry);
  transitions_[0] = &tr.Add({{"kind", "manual"}});
  transitions_[1] = &tr.Add({{"kind", "forced"}});
  transitions_[2] = &tr.Add({{"kind", "automatic"}});
}

void MissionMetrics::SetPhase(Phase p) {
  for (int i = 0; i < kPhaseCount; ++i) phase_[i]->Set(i == static_cast<int>(p) ? 1.0 : 0.0);
}

}  // namespace astraguard::mission
