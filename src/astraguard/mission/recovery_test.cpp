#include "astraguard/mission/recovery.hpp"

#include <gtest/gtest.h>

#include <map>

namespace astraguard::mission {
namespace {

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override { Load(DefaultPolicyYaml()); }
  void Load(const std::string& yaml) {
    auto p = ParsePolicyYaml(yaml);
    ASSERT_TRUE(p.ok()) << p.status().message();
    policy_ = *p;
    orch_ = std::make_unique<RecoveryOrchestrator>(policy_, phases_, clock_, metrics_);
  }
  double Count(Action a, ActionStatus s) { return metrics_.ActionCounter(a, s).Value(); }

  FakeClock clock_;
  prometheus::Registry registry_;
  MissionMetrics metrics_{registry_};
  PolicySet policy_;
  PhaseMachine phases_{clock_};
  std::unique_ptr<RecoveryOrchestrator> orch_;
};

TEST_F(RecoveryTest, RecommendsAndRecordsAction) {
  auto o = orch_->Handle("SAT-001", FaultType::kWheel, 0.75, 0.9);
  EXPECT_EQ(o.decision.action, Action::kDesaturateWheels);
  EXPECT_EQ(o.status, ActionStatus::kRecommended);
  EXPECT_EQ(o.recurrence, 1);
  orch_->LinkAnomaly(o.action_seq, "an-7");
  auto log = orch_->Recent(10, std::nullopt);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].anomaly_id, "an-7");
  EXPECT_EQ(log[0].action, Action::kDesaturateWheels);
  EXPECT_EQ(Count(Action::kDesaturateWheels, ActionStatus::kRecommended), 1);
}

TEST_F(RecoveryTest, CooldownSuppressesRepeatsPerSatelliteAndAction) {
  EXPECT_EQ(orch_->Handle("SAT-001", FaultType::kPower, 0.5, 0.9).status,
            ActionStatus::kRecommended);
  clock_.Advance(std::chrono::seconds(100));
  auto o = orch_->Handle("SAT-001", FaultType::kPower, 0.5, 0.9);
  EXPECT_EQ(o.status, ActionStatus::kSuppressed);
  EXPECT_NEAR(o.cooldown_remaining_s, 200, 1e-6);
  // Another satellite is independent.
  EXPECT_EQ(orch_->Handle("SAT-002", FaultType::kPower, 0.5, 0.9).status,
            ActionStatus::kRecommended);
  clock_.Advance(std::chrono::seconds(201));
  EXPECT_EQ(orch_->Handle("SAT-001", FaultType::kPower, 0.5, 0.9).status,
            ActionStatus::kRecommended);
  EXPECT_EQ(Count(Action::kReducePowerLoad, ActionStatus::kSuppressed), 1);
  EXPECT_EQ(Count(Action::kReducePowerLoad, ActionStatus::kRecommended), 3);
}

// Shared cooldowns in memory, switchable off (the Redis implementation is tested against a real
// server in storage/ and end to end).
class FakeCooldowns final : public storage::CooldownStore {
 public:
  bool up = true;
  std::map<std::string, std::pair<int64_t, int64_t>> claims;  // key -> (claimed at, expires)
  Result<std::optional<int64_t>> Claim(std::string_view sat, std::string_view action,
                                       int64_t now_ms, int64_t cooldown_ms) override {
    if (!up) return Status::Error(Code::kUnavailable, "down");
    auto key = std::string(sat).append(":").append(action);
    auto it = claims.find(key);
    if (it != claims.end() && it->second.second > now_ms) return std::optional(it->second.first);
    claims[key] = {now_ms, now_ms + cooldown_ms};
    return std::optional<int64_t>();
  }
};

TEST_F(RecoveryTest, SharedCooldownsSuppressAcrossInstancesAndFallBackWhenDown) {
  FakeCooldowns shared;
  PhaseMachine other_phases{clock_};
  RecoveryOrchestrator a(policy_, phases_, clock_, metrics_, 1000, 100'000, &shared);
  RecoveryOrchestrator b(policy_, other_phases, clock_, metrics_, 1000, 100'000, &shared);
  EXPECT_EQ(a.Handle("SAT-001", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kRecommended);
  clock_.Advance(std::chrono::seconds(100));
  auto o = b.Handle("SAT-001", FaultType::kPower, 0.5, 0.9);  // b never emitted it itself
  EXPECT_EQ(o.status, ActionStatus::kSuppressed);
  EXPECT_NEAR(o.cooldown_remaining_s, 200, 1e-6);
  clock_.Advance(std::chrono::seconds(201));
  EXPECT_EQ(b.Handle("SAT-001", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kRecommended);
  shared.up = false;  // b's own memory decides: it emitted the action 0 s ago
  EXPECT_EQ(b.Handle("SAT-001", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kSuppressed);
}

TEST_F(RecoveryTest, PersistentFaultIsOneEpisode) {
  RecoveryOutcome o;
  for (int i = 0; i < 10; ++i) {
    o = orch_->Handle("SAT-001", FaultType::kThermal, 0.5, 0.9);
    clock_.Advance(std::chrono::seconds(10));
  }
  EXPECT_EQ(o.recurrence, 1);
  EXPECT_NEAR(o.episode_age_s, 90, 1e-6);
}

TEST_F(RecoveryTest, RecurringEpisodesEscalateAndWindowExpires) {
  // NOMINAL_OPS: MEDIUM with 3 episodes -> ALERT_OPERATORS. Episodes are > 120 s apart.
  for (int i = 1; i <= 2; ++i) {
    auto o = orch_->Handle("SAT-001", FaultType::kThermal, 0.5, 0.9);
    EXPECT_EQ(o.recurrence, i);
    EXPECT_FALSE(o.decision.escalated);
    EXPECT_EQ(o.decision.action, Action::kThermalSafeAttitude);
    clock_.Advance(std::chrono::seconds(400));
  }
  auto o = orch_->Handle("SAT-001", FaultType::kThermal, 0.5, 0.9);
  EXPECT_EQ(o.recurrence, 3);
  EXPECT_TRUE(o.decision.escalated);
  EXPECT_EQ(o.decision.action, Action::kAlertOperators);
  // Other types do not count toward thermal recurrence.
  EXPECT_EQ(orch_->Handle("SAT-001", FaultType::kPower, 0.5, 0.9).recurrence, 1);
  // After the 3600 s window only the new one counts.
  clock_.Advance(std::chrono::seconds(3601));
  EXPECT_EQ(orch_->Handle("SAT-001", FaultType::kThermal, 0.5, 0.9).recurrence, 1);
}

// A CRITICAL fault that persists for 600 s (one anomaly per minute).
RecoveryOutcome PersistCritical(RecoveryOrchestrator& orch, FakeClock& clock, const char* sat) {
  RecoveryOutcome o;
  for (int i = 0; i <= 10; ++i) {
    o = orch.Handle(sat, FaultType::kPower, 0.95, 0.9);
    if (i < 10) clock.Advance(std::chrono::seconds(60));
  }
  return o;
}

TEST_F(RecoveryTest, SingleCriticalAnomalyDoesNotEscalate) {
  auto o = orch_->Handle("SAT-001", FaultType::kPower, 0.95, 0.9);
  EXPECT_EQ(o.decision.action, Action::kReducePowerLoad);
  EXPECT_EQ(phases_.current(), Phase::kNominalOps);
}

TEST_F(RecoveryTest, SafeModeIsOnlyRecommendedWhenAutoIsOff) {
  auto o = PersistCritical(*orch_, clock_, "SAT-001");
  EXPECT_EQ(o.decision.action, Action::kEnterSafeMode);
  EXPECT_EQ(o.status, ActionStatus::kRecommended);
  auto log = orch_->Recent(1, std::nullopt);
  EXPECT_NE(log[0].detail.find("recommendation only"), std::string::npos);
  EXPECT_EQ(phases_.current(), Phase::kNominalOps);
}

TEST_F(RecoveryTest, AutoSafeModeIsExplicitRecordedAndReversible) {
  std::string yaml = DefaultPolicyYaml();
  yaml.replace(yaml.find("auto_safe_mode: false"), 21, "auto_safe_mode: true");
  Load(yaml);
  RecoveryOutcome o = PersistCritical(*orch_, clock_, "SAT-009");
  EXPECT_EQ(o.decision.action, Action::kEnterSafeMode);
  EXPECT_EQ(o.status, ActionStatus::kExecuted);
  ASSERT_TRUE(o.phase_change.has_value());
  EXPECT_TRUE(o.phase_change->automatic);
  EXPECT_EQ(phases_.current(), Phase::kSafeMode);
  auto h = phases_.History();
  EXPECT_NE(h.back().reason.find("SAT-009"), std::string::npos);
  EXPECT_EQ(metrics_.transitions_automatic().Value(), 1);
  // Later anomalies still get real responses in SAFE_MODE (no lock-in to log-only).
  auto later = orch_->Handle("SAT-001", FaultType::kThermal, 0.6, 0.9);
  EXPECT_EQ(later.phase, Phase::kSafeMode);
  EXPECT_EQ(later.decision.action, Action::kThermalSafeAttitude);
  // An operator reverses it.
  ASSERT_TRUE(phases_.Transition(Phase::kNominalOps, false, false, "ops: recovered").ok());
  EXPECT_EQ(phases_.current(), Phase::kNominalOps);
}

TEST_F(RecoveryTest, SatelliteStateIsBounded) {
  orch_ = std::make_unique<RecoveryOrchestrator>(policy_, phases_, clock_, metrics_, 100, 2);
  (void)orch_->Handle("A", FaultType::kPower, 0.5, 0.9);
  (void)orch_->Handle("B", FaultType::kPower, 0.5, 0.9);
  // A third satellite is assessed but not remembered: no cooldown, recurrence stays 1.
  EXPECT_EQ(orch_->Handle("C", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kRecommended);
  EXPECT_EQ(orch_->Handle("C", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kRecommended);
  EXPECT_EQ(orch_->Handle("A", FaultType::kPower, 0.5, 0.9).status, ActionStatus::kSuppressed);
  EXPECT_EQ(orch_->untracked_total(), 2);
}

TEST_F(RecoveryTest, ActionLogIsBoundedAndFilterable) {
  orch_ = std::make_unique<RecoveryOrchestrator>(policy_, phases_, clock_, metrics_, 5);
  for (int i = 0; i < 8; ++i) {
    (void)orch_->Handle(i % 2 ? "SAT-002" : "SAT-001", FaultType::kSensor, 0.6, 0.9);
  }
  EXPECT_EQ(orch_->Recent(100, std::nullopt).size(), 5u);
  auto only2 = orch_->Recent(100, std::string_view("SAT-002"));
  for (const auto& a : only2) EXPECT_EQ(a.satellite_id, "SAT-002");
  EXPECT_EQ(orch_->Recent(100, std::nullopt).front().seq, 8u);
  EXPECT_EQ(orch_->decisions_total(), 8u);
}

}  // namespace
}  // namespace astraguard::mission
