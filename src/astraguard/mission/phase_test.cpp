#include "astraguard/mission/phase.hpp"

#include <gtest/gtest.h>

namespace astraguard::mission {
namespace {

// A PhaseStore in memory that can be switched off, to drive the sync logic without Redis (the
// Redis implementation is tested against a real server in storage/ and end to end).
class FakePhaseStore final : public storage::PhaseStore {
 public:
  bool up = true;
  std::vector<storage::PhaseEntry> entries;
  Status Initialize(const storage::PhaseEntry& e) override {
    if (!up) return Down();
    if (entries.empty()) entries.push_back(e);
    return Status::Ok();
  }
  Result<std::vector<storage::PhaseEntry>> History(size_t) const override {
    if (!up) return Down();
    return entries;
  }
  Result<bool> Append(const storage::PhaseEntry& e, bool unconditional, size_t) override {
    if (!up) return Down();
    if (!unconditional && !entries.empty() && entries.back().to != e.from) return false;
    entries.push_back(e);
    return true;
  }

 private:
  static Status Down() { return Status::Error(Code::kUnavailable, "down"); }
};

TEST(PhaseMachineTest, SharedStoreGivesEveryInstanceTheSamePhase) {
  FakeClock clock;
  FakePhaseStore store;
  PhaseMachine a(clock, Phase::kNominalOps, 256, &store);
  PhaseMachine b(clock, Phase::kLaunch, 256, &store);  // adopts the stored phase
  EXPECT_EQ(b.current(), Phase::kNominalOps);
  ASSERT_TRUE(a.Transition(Phase::kSafeMode, false, false, "battery").ok());
  EXPECT_EQ(b.History().back().to, Phase::kSafeMode);
  clock.Advance(std::chrono::seconds(2));  // past the refresh interval
  EXPECT_EQ(b.current(), Phase::kSafeMode);
  // b decides from the shared phase: SAFE_MODE -> NOMINAL_OPS is allowed.
  ASSERT_TRUE(b.Transition(Phase::kNominalOps, false, false, "recovered").ok());
  EXPECT_EQ(store.entries.size(), 3u);
}

TEST(PhaseMachineTest, ChangesWhileTheStoreIsDownAreAppendedWhenItReturns) {
  FakeClock clock;
  FakePhaseStore store;
  PhaseMachine a(clock, Phase::kNominalOps, 256, &store);
  store.up = false;
  ASSERT_TRUE(a.Transition(Phase::kPayloadOps, false, false, "during outage").ok());
  EXPECT_EQ(a.current(), Phase::kPayloadOps);
  EXPECT_EQ(store.entries.size(), 1u);
  store.up = true;
  auto h = a.History();
  ASSERT_EQ(store.entries.size(), 2u);
  EXPECT_EQ(store.entries.back().reason, "during outage");
  EXPECT_EQ(h.back().to, Phase::kPayloadOps);
}

TEST(PhaseMachineTest, StartsInNominalOpsWithInitialHistory) {
  FakeClock clock;
  PhaseMachine m(clock);
  EXPECT_EQ(m.current(), Phase::kNominalOps);
  ASSERT_EQ(m.History().size(), 1u);
  EXPECT_EQ(m.History()[0].reason, "initial");
}

TEST(PhaseMachineTest, ValidTransitionIsRecorded) {
  FakeClock clock;
  PhaseMachine m(clock);
  clock.Advance(std::chrono::seconds(5));
  auto r = m.Transition(Phase::kPayloadOps, false, false, "imaging pass");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(r->change.forced);
  EXPECT_EQ(m.current(), Phase::kPayloadOps);
  auto h = m.History();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].from, Phase::kNominalOps);
  EXPECT_EQ(h[1].to, Phase::kPayloadOps);
  EXPECT_EQ(h[1].reason, "imaging pass");
  EXPECT_EQ(h[1].at_ms - h[0].at_ms, 5000);
}

TEST(PhaseMachineTest, InvalidTransitionIsConflictAndChangesNothing) {
  FakeClock clock;
  PhaseMachine m(clock);
  auto r = m.Transition(Phase::kLaunch, false, false, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("allowed: PAYLOAD_OPS, SAFE_MODE"), std::string::npos);
  EXPECT_EQ(r.status().fields().at(0).field, "phase");
  EXPECT_EQ(m.current(), Phase::kNominalOps);
  EXPECT_EQ(m.History().size(), 1u);
}

TEST(PhaseMachineTest, ForceOverridesTableForAnyTarget) {
  FakeClock clock;
  PhaseMachine m(clock);
  auto r = m.Transition(Phase::kLaunch, true, false, "sim reset");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->change.forced);
  EXPECT_EQ(m.current(), Phase::kLaunch);
  // force on an allowed transition is not recorded as forced.
  r = m.Transition(Phase::kDeployment, true, false, "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->change.forced);
}

TEST(PhaseMachineTest, SamePhaseIsNoOp) {
  FakeClock clock;
  PhaseMachine m(clock);
  auto r = m.Transition(Phase::kNominalOps, false, false, "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(m.History().size(), 1u);
  EXPECT_EQ(m.changes_total(), 0);
}

TEST(PhaseMachineTest, SafeModeIsReversible) {
  FakeClock clock;
  PhaseMachine m(clock);
  ASSERT_TRUE(m.Transition(Phase::kSafeMode, false, true, "auto").ok());
  ASSERT_TRUE(m.Transition(Phase::kNominalOps, false, false, "recovered").ok());
  EXPECT_EQ(m.current(), Phase::kNominalOps);
  auto h = m.History();
  EXPECT_TRUE(h[1].automatic);
  EXPECT_FALSE(h[2].automatic);
}

TEST(PhaseMachineTest, HistoryIsBounded) {
  FakeClock clock;
  PhaseMachine m(clock, Phase::kNominalOps, 4);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        m.Transition(i % 2 ? Phase::kNominalOps : Phase::kPayloadOps, false, false, "").ok());
  }
  EXPECT_EQ(m.History().size(), 4u);
  EXPECT_EQ(m.changes_total(), 10);
}

}  // namespace
}  // namespace astraguard::mission
