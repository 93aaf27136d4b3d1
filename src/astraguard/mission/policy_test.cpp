#include "astraguard/mission/policy.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace astraguard::mission {
namespace {

PolicySet Default() {
  auto p = ParsePolicyYaml(DefaultPolicyYaml());
  EXPECT_TRUE(p.ok()) << p.status().message();
  return *p;
}

// Replaces the first occurrence of `from` in the default policy text.
std::string Patched(const std::string& from, const std::string& to) {
  std::string s = DefaultPolicyYaml();
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

std::string FirstField(const Result<PolicySet>& r) {
  return r.ok() || r.status().fields().empty() ? "" : r.status().fields()[0].field;
}

TEST(PolicyLoadTest, ShippedFileLoadsAndEqualsEmbeddedDefault) {
  auto f = LoadPolicyFile(AG_POLICY_FILE);
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::ifstream in(AG_POLICY_FILE);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), DefaultPolicyYaml());
  EXPECT_EQ(f->For(Phase::kLaunch).threshold_multiplier, 1.1);
  EXPECT_EQ(f->For(Phase::kSafeMode).low_action, Action::kIncreaseMonitoring);
  EXPECT_EQ(f->global.CooldownFor(Action::kEnterSafeMode), 1800);
  EXPECT_EQ(f->global.CooldownFor(Action::kResetAdcs), 300);
  EXPECT_FALSE(f->global.sensor_checks.dropout_enabled[static_cast<int>(StdChannel::kGyro)]);
  EXPECT_EQ(f->For(Phase::kNominalOps).escalation_rules.size(), 4u);
  EXPECT_EQ(f->global.episode_gap_s, 120);
  EXPECT_EQ(f->For(Phase::kNominalOps).escalation_rules[0].Describe(),
            "severity >= CRITICAL and persisting >= 600 s -> ENTER_SAFE_MODE");
}

TEST(PolicyLoadTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadPolicyFile("/nonexistent/p.yaml").status().code(), Code::kNotFound);
}

TEST(PolicyLoadTest, UnknownKeysAreErrors) {
  auto r = ParsePolicyYaml(Patched("  auto_safe_mode: false", "  auto_safe_mode: false\n  foo: 1"));
  EXPECT_EQ(r.status().code(), Code::kValidation);
  EXPECT_EQ(FirstField(r), "global.foo");
  r = ParsePolicyYaml(Patched("    threshold_multiplier: 1.1", "    threshold_multplier: 1.1"));
  EXPECT_EQ(FirstField(r), "phases.LAUNCH.threshold_multplier");
}

TEST(PolicyLoadTest, MissingPhaseIsAnError) {
  std::string s = DefaultPolicyYaml();
  s = s.substr(0, s.find("  SAFE_MODE:"));
  auto r = ParsePolicyYaml(s);
  EXPECT_EQ(FirstField(r), "phases.SAFE_MODE");
}

TEST(PolicyLoadTest, RuleActionMustBeAllowedInPhase) {
  auto r =
      ParsePolicyYaml(Patched("{severity_min: HIGH, recurrence_min: 3, action: ALERT_OPERATORS}",
                              "{severity_min: HIGH, recurrence_min: 3, action: RESET_ADCS}"));
  EXPECT_EQ(FirstField(r), "phases.DEPLOYMENT.escalation_rules[1].action");
}

TEST(PolicyLoadTest, LogEventMustBeAllowed) {
  auto r = ParsePolicyYaml(
      Patched("allowed_actions: [LOG_EVENT, INCREASE_MONITORING, ALERT_OPERATORS, ENTER_SAFE_MODE]",
              "allowed_actions: [INCREASE_MONITORING, ALERT_OPERATORS, ENTER_SAFE_MODE]"));
  EXPECT_EQ(FirstField(r), "phases.LAUNCH.allowed_actions");
}

TEST(PolicyLoadTest, BadValuesNameTheField) {
  EXPECT_EQ(
      FirstField(ParsePolicyYaml(Patched("act_min_severity: HIGH", "act_min_severity: HUGE"))),
      "phases.LAUNCH.act_min_severity");
  EXPECT_EQ(FirstField(ParsePolicyYaml(Patched("cooldown_seconds: 300", "cooldown_seconds: -1"))),
            "global.cooldown_seconds");
  EXPECT_EQ(FirstField(ParsePolicyYaml(
                Patched("power_fault: [REDUCE_POWER_LOAD", "power_fault: [REBOOT"))),
            "global.responses.power_fault[0]");
  EXPECT_EQ(FirstField(ParsePolicyYaml(Patched("version: 1", "version: 2"))), "version");
  EXPECT_EQ(
      FirstField(ParsePolicyYaml(Patched("persist_min_seconds: 600", "persist_min_seconds: x"))),
      "phases.DEPLOYMENT.escalation_rules[2].persist_min_seconds");
  EXPECT_EQ(ParsePolicyYaml("phases: [").status().code(), Code::kValidation);
}

TEST(DecideTest, TypeSpecificResponseInNominalOps) {
  PolicySet p = Default();
  EXPECT_EQ(Decide(p, Phase::kNominalOps, FaultType::kPower, 0.75, 0.9, 1).action,
            Action::kReducePowerLoad);
  EXPECT_EQ(Decide(p, Phase::kNominalOps, FaultType::kThermal, 0.75, 0.9, 1).action,
            Action::kThermalSafeAttitude);
  EXPECT_EQ(Decide(p, Phase::kNominalOps, FaultType::kAttitude, 0.75, 0.9, 1).action,
            Action::kResetAdcs);
  EXPECT_EQ(Decide(p, Phase::kNominalOps, FaultType::kWheel, 0.75, 0.9, 1).action,
            Action::kDesaturateWheels);
  EXPECT_EQ(Decide(p, Phase::kNominalOps, FaultType::kSensor, 0.6, 0.9, 1).action,
            Action::kIsolateSensor);
  // One CRITICAL anomaly is not a safe-mode escalation in NOMINAL_OPS.
  Decision d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.95, 0.9, 1);
  EXPECT_EQ(d.severity, Severity::kCritical);
  EXPECT_EQ(d.action, Action::kReducePowerLoad);
  EXPECT_FALSE(d.escalated);
}

TEST(DecideTest, BelowActMinSeverityGetsLowAction) {
  PolicySet p = Default();
  Decision d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.3, 0.9, 1);
  EXPECT_EQ(d.severity, Severity::kLow);
  EXPECT_EQ(d.action, Action::kLogEvent);
  EXPECT_EQ(Decide(p, Phase::kSafeMode, FaultType::kPower, 0.3, 0.9, 1).action,
            Action::kIncreaseMonitoring);
}

TEST(DecideTest, ThresholdMultiplierScalesSeverity) {
  PolicySet p = Default();
  Decision launch = Decide(p, Phase::kLaunch, FaultType::kPower, 0.7, 0.9, 1);
  EXPECT_DOUBLE_EQ(launch.severity_score, 0.7 / 1.1);
  EXPECT_EQ(launch.severity, Severity::kMedium);
  EXPECT_EQ(launch.action, Action::kLogEvent);  // below LAUNCH act_min_severity HIGH
  Decision safe = Decide(p, Phase::kSafeMode, FaultType::kPower, 0.75, 0.9, 1);
  EXPECT_DOUBLE_EQ(safe.severity_score, 0.75 / 0.8);
  EXPECT_EQ(safe.severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(Decide(p, Phase::kSafeMode, FaultType::kPower, 0.95, 0.9, 1).severity_score,
                   1.0);
}

TEST(DecideTest, PhaseBlocksActionsAndFallsBack) {
  PolicySet p = Default();
  Decision d = Decide(p, Phase::kPayloadOps, FaultType::kWheel, 0.6, 0.9, 1);
  EXPECT_EQ(d.action, Action::kDesaturateWheels);
  d = Decide(p, Phase::kPayloadOps, FaultType::kAttitude, 0.6, 0.9, 1);  // RESET_ADCS not allowed
  EXPECT_EQ(d.action, Action::kAlertOperators);
  ASSERT_EQ(d.blocked.size(), 1u);
  EXPECT_EQ(d.blocked[0], Action::kResetAdcs);
  d = Decide(p, Phase::kSafeMode, FaultType::kWheel, 0.6, 0.9, 1);
  EXPECT_EQ(d.action, Action::kAlertOperators);
  EXPECT_EQ(d.blocked.size(), 2u);
}

TEST(DecideTest, EscalationRulesInOrder) {
  PolicySet p = Default();
  // NOMINAL_OPS rule 0: CRITICAL persisting >= 600 s -> ENTER_SAFE_MODE.
  Decision d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.95, 0.9, 1, 599);
  EXPECT_EQ(d.rule_index, 2);  // only the HIGH-persisting-300-s rule matches yet
  EXPECT_EQ(d.action, Action::kAlertOperators);
  d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.95, 0.9, 1, 600);
  EXPECT_TRUE(d.escalated);
  EXPECT_EQ(d.rule_index, 0);
  EXPECT_EQ(d.action, Action::kEnterSafeMode);
  // rule 1: HIGH with 3 episodes -> ENTER_SAFE_MODE.
  d = Decide(p, Phase::kNominalOps, FaultType::kWheel, 0.75, 0.9, 3);
  EXPECT_EQ(d.rule_index, 1);
  EXPECT_EQ(d.action, Action::kEnterSafeMode);
  // rule 2: HIGH persisting >= 300 s -> ALERT_OPERATORS.
  d = Decide(p, Phase::kNominalOps, FaultType::kWheel, 0.75, 0.9, 1, 300);
  EXPECT_EQ(d.rule_index, 2);
  EXPECT_EQ(d.action, Action::kAlertOperators);
  // rule 3: MEDIUM with 3 episodes -> ALERT_OPERATORS.
  d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.5, 0.9, 3);
  EXPECT_EQ(d.rule_index, 3);
  d = Decide(p, Phase::kPayloadOps, FaultType::kAttitude, 0.8, 0.9, 1);  // type-specific rule
  EXPECT_EQ(d.rule_index, 1);
  d = Decide(p, Phase::kPayloadOps, FaultType::kThermal, 0.8, 0.9, 1);
  EXPECT_FALSE(d.escalated);
  d = Decide(p, Phase::kLaunch, FaultType::kThermal, 1.0, 0.9, 1);  // 1.0 / 1.1 = CRITICAL
  EXPECT_EQ(d.action, Action::kEnterSafeMode);
}

TEST(DecideTest, ConfidenceGatesActionAndEscalation) {
  PolicySet p = Default();
  Decision d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.95, 0.6, 5, 900);
  EXPECT_FALSE(d.escalated);  // 0.6 < min_confidence_for_escalation 0.7
  EXPECT_EQ(d.action, Action::kReducePowerLoad);
  d = Decide(p, Phase::kNominalOps, FaultType::kPower, 0.95, 0.3, 1);  // < action minimum 0.5
  EXPECT_EQ(d.action, Action::kLogEvent);
}

}  // namespace
}  // namespace astraguard::mission

namespace astraguard::mission {
namespace {

// Regression: ASTRAGUARD_MISSION_POLICY=/dev/zero read without bound (the RSS grew until the
// process was killed). Only a regular file of at most kMaxPolicyFileBytes is read.
TEST(PolicyLoadHostileTest, DeviceIsRefusedWithoutReading) {
  auto z = LoadPolicyFile("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), Code::kInvalidArgument);
  EXPECT_NE(z.status().message().find("not a regular file"), std::string::npos);
}

TEST(PolicyLoadHostileTest, FifoIsRefusedWithoutBlocking) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ag_policy_fifo_" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto f = LoadPolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not a regular file"), std::string::npos);
}

TEST(PolicyLoadHostileTest, FileOverTheCapIsRefused) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ag_policy_big_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path.string());
    out << DefaultPolicyYaml() << "\n#";
    out << std::string(kMaxPolicyFileBytes, ' ');  // valid YAML, one comment line too many
  }
  auto big = LoadPolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Code::kInvalidArgument);
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos)
      << big.status().message();
}

}  // namespace
}  // namespace astraguard::mission
