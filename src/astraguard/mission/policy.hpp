#pragma once
// Mission-phase response policy: what the service recommends for an anomaly of a given type and
// severity in a given phase. Loaded once at start-up from YAML (etc/mission_policies.yaml) and
// honoured in full: every key has an effect, unknown keys, missing phases and references to
// actions a phase does not allow are load errors (the original ignored most of its YAML).
//
// Decide() is pure and deterministic: the same inputs give the same Decision. PolicySet is an
// immutable value after loading; share it by const reference (it must outlive its users).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/mission/classifier.hpp"
#include "astraguard/mission/types.hpp"

namespace astraguard::mission {

// First matching rule (in file order) overrides the normal response.
struct EscalationRule {
  Severity severity_min = Severity::kLow;
  int recurrence_min = 1;                // episodes of this type for this satellite in the window
  double persist_min_s = 0.0;            // the current episode has lasted at least this long
  std::vector<FaultType> fault_types;    // empty = any type
  std::optional<double> min_confidence;  // default: global.min_confidence_for_escalation
  Action action = Action::kAlertOperators;
  std::string Describe() const;  // "severity >= HIGH and recurrence >= 3 -> ENTER_SAFE_MODE"
};

struct PhasePolicy {
  std::string description;
  // severity_score = min(1, anomaly_score / threshold_multiplier): > 1 makes the phase less
  // reactive (LAUNCH), < 1 more reactive.
  double threshold_multiplier = 1.0;
  Severity act_min_severity = Severity::kMedium;  // below this, only `low_action`
  Action low_action = Action::kLogEvent;
  std::vector<Action> allowed_actions;  // always contains LOG_EVENT
  std::vector<EscalationRule> escalation_rules;
  bool Allows(Action a) const;
};

struct GlobalPolicy {
  double recurrence_window_s = 3600;
  // Anomalies of one type on one satellite less than this apart belong to the same episode; a
  // persistent fault is one episode (it escalates by persistence), a fault that clears and comes
  // back is a recurrence.
  double episode_gap_s = 120;
  double min_confidence_for_action = 0.5;      // below: LOG_EVENT only
  double min_confidence_for_escalation = 0.7;  // default min_confidence of rules
  double cooldown_s = 300;                     // per (satellite, action)
  std::array<std::optional<double>, kActionCount> cooldown_override_s{};
  // When true, an ENTER_SAFE_MODE decision moves the mission phase to SAFE_MODE (recorded in the
  // phase history with the anomaly id; reversible with POST /api/v1/phase). When false it is a
  // recommendation for operators only.
  bool auto_safe_mode = false;
  SensorCheckConfig sensor_checks;
  // Preferred actions per fault type; the first one the phase allows wins.
  std::array<std::vector<Action>, kFaultTypeCount> responses;
  double CooldownFor(Action a) const;
};

struct PolicySet {
  GlobalPolicy global;
  std::array<PhasePolicy, kPhaseCount> phases;
  std::string source;  // file path or "<string>"
  const PhasePolicy& For(Phase p) const { return phases[static_cast<int>(p)]; }
};

// kValidation with one FieldError per problem ("phases.LAUNCH.allowed_actions[2]": "unknown
// action 'FOO'").
Result<PolicySet> ParsePolicyYaml(std::string_view yaml, std::string source = "<string>");

// Largest policy file LoadPolicyFile reads: 1 MiB (etc/mission_policies.yaml is ~5 kB).
inline constexpr size_t kMaxPolicyFileBytes = 1u << 20;
// Reads and parses a policy file: kNotFound when it cannot be opened; kInvalidArgument when it
// is not a regular file (a device such as /dev/zero or a FIFO is refused before any read) or
// is larger than kMaxPolicyFileBytes; otherwise as ParsePolicyYaml.
Result<PolicySet> LoadPolicyFile(const std::string& path);
// The built-in policy, identical to etc/mission_policies.yaml (tests compare them).
const char* DefaultPolicyYaml();

struct Decision {
  Severity severity = Severity::kLow;
  double severity_score = 0.0;
  Action action = Action::kLogEvent;
  bool escalated = false;       // an escalation rule chose the action
  int rule_index = -1;          // index into the phase's escalation_rules
  std::vector<Action> blocked;  // preferred actions the phase does not allow
  std::string reasoning;
};

// `recurrence` counts episodes of this type for this satellite inside the window, including the
// current one (>= 1); `episode_age_s` is how long the current episode has lasted.
Decision Decide(const PolicySet& policy, Phase phase, FaultType type, double anomaly_score,
                double confidence, int recurrence, double episode_age_s = 0.0);

}  // namespace astraguard::mission
