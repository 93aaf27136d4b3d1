#include "astraguard/sim/scoreboard.hpp"

#include <gtest/gtest.h>

namespace astraguard::sim {
namespace {

using Kind = ScoreEvent::Kind;

// Feeds one satellite's records 10 simulated seconds apart.
class Feed {
 public:
  explicit Feed(Scoreboard& board, std::string satellite = "SAT-001")
      : board_(board), satellite_(std::move(satellite)) {}

  std::vector<ScoreEvent> Next(FaultKind fault, bool flagged,
                               std::optional<Channel> channel = std::nullopt) {
    Record r;
    r.satellite_id = satellite_;
    t_s_ += 10.0;
    r.t_s = t_s_;
    r.fault = fault;
    r.fault_channel = channel;
    Verdict v;
    v.is_anomaly = flagged;
    v.anomaly_type = flagged ? "wheel_fault" : "normal";
    v.severity_level = flagged ? "HIGH" : "LOW";
    v.recommended_action = flagged ? "DESATURATE_WHEELS" : "NO_ACTION";
    return board_.Observe(r, v);
  }
  // `n` records with no event expected.
  void Quiet(int n, FaultKind fault, bool flagged) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(Next(fault, flagged).empty()) << "record " << i;
  }

 private:
  Scoreboard& board_;
  std::string satellite_;
  double t_s_ = 0.0;
};

TEST(ScoreboardTest, ReportsEpisodeStartThenDetectionWithLatency) {
  Scoreboard board;
  Feed feed(board);
  feed.Quiet(3, FaultKind::kNone, false);
  auto started = feed.Next(FaultKind::kWheelStall, false);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].kind, Kind::kEpisodeStarted);
  EXPECT_EQ(started[0].satellite_id, "SAT-001");
  EXPECT_EQ(started[0].fault, FaultKind::kWheelStall);
  feed.Quiet(1, FaultKind::kWheelStall, false);
  auto detected = feed.Next(FaultKind::kWheelStall, true);
  ASSERT_EQ(detected.size(), 1u);
  EXPECT_EQ(detected[0].kind, Kind::kDetected);
  EXPECT_EQ(detected[0].fault, FaultKind::kWheelStall);
  EXPECT_EQ(detected[0].verdict.anomaly_type, "wheel_fault");
  EXPECT_EQ(detected[0].verdict.severity_level, "HIGH");
  EXPECT_EQ(detected[0].verdict.recommended_action, "DESATURATE_WHEELS");
  EXPECT_EQ(detected[0].records, 2);
  EXPECT_DOUBLE_EQ(detected[0].seconds, 20.0);
  feed.Quiet(5, FaultKind::kWheelStall, true);  // one line per episode, not per record
  feed.Quiet(2, FaultKind::kNone, false);       // a detected episode ends silently
  const ScoreCounts& c = board.counts();
  EXPECT_EQ(c.records, 13);
  EXPECT_EQ(c.episodes, 1);
  EXPECT_EQ(c.detected, 1);
  EXPECT_EQ(c.missed, 0);
  EXPECT_EQ(c.false_alarms, 0);
}

TEST(ScoreboardTest, DetectionOnTheFirstRecordHasZeroLatency) {
  Scoreboard board;
  Feed feed(board);
  auto events = feed.Next(FaultKind::kPowerBrownout, true);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kEpisodeStarted);
  EXPECT_EQ(events[1].kind, Kind::kDetected);
  EXPECT_EQ(events[1].records, 0);
  EXPECT_DOUBLE_EQ(events[1].seconds, 0.0);
}

TEST(ScoreboardTest, EpisodeEndingUnflaggedIsMissed) {
  Scoreboard board;
  Feed feed(board);
  auto started = feed.Next(FaultKind::kSensorStuck, false, Channel::kGyro);
  ASSERT_EQ(started.size(), 1u);
  ASSERT_TRUE(started[0].channel.has_value());
  EXPECT_EQ(*started[0].channel, Channel::kGyro);
  feed.Quiet(4, FaultKind::kSensorStuck, false);
  auto missed = feed.Next(FaultKind::kNone, false);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].kind, Kind::kMissed);
  EXPECT_EQ(missed[0].fault, FaultKind::kSensorStuck);
  EXPECT_EQ(missed[0].channel, Channel::kGyro);
  EXPECT_EQ(missed[0].records, 5);
  EXPECT_DOUBLE_EQ(missed[0].seconds, 50.0);
  EXPECT_EQ(board.counts().missed, 1);
  EXPECT_EQ(board.counts().detected, 0);
}

TEST(ScoreboardTest, AnotherFaultRightAfterAnEpisodeEndsItAndStartsANewOne) {
  Scoreboard board;
  Feed feed(board);
  feed.Next(FaultKind::kGyroDrift, false);
  auto events = feed.Next(FaultKind::kThermalRunaway, false);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kMissed);
  EXPECT_EQ(events[0].fault, FaultKind::kGyroDrift);
  EXPECT_EQ(events[1].kind, Kind::kEpisodeStarted);
  EXPECT_EQ(events[1].fault, FaultKind::kThermalRunaway);
  EXPECT_EQ(board.counts().episodes, 2);
}

TEST(ScoreboardTest, FalseAlarmIsOneEventPerRunOfFlaggedRecords) {
  Scoreboard board;
  Feed feed(board);
  feed.Quiet(2, FaultKind::kNone, false);
  auto first = feed.Next(FaultKind::kNone, true);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind, Kind::kFalseAlarm);
  EXPECT_EQ(first[0].fault, FaultKind::kNone);
  EXPECT_EQ(first[0].verdict.anomaly_type, "wheel_fault");
  feed.Quiet(3, FaultKind::kNone, true);
  feed.Quiet(1, FaultKind::kNone, false);
  auto second = feed.Next(FaultKind::kNone, true);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind, Kind::kFalseAlarm);
  EXPECT_EQ(board.counts().false_alarms, 2);
  EXPECT_EQ(board.counts().episodes, 0);
}

TEST(ScoreboardTest, FlagsWhileAnEpisodeSettlesAreNotFalseAlarms) {
  Scoreboard board(/*settle_s=*/60.0);
  Feed feed(board);
  feed.Next(FaultKind::kThermalRunaway, true);  // t=10, detected
  feed.Quiet(1, FaultKind::kNone, false);       // t=20
  feed.Quiet(3, FaultKind::kNone, true);        // t=30..50: the deck is still hot
  feed.Quiet(10, FaultKind::kNone, true);       // the same run, past the settle window
  feed.Quiet(1, FaultKind::kNone, false);
  auto late = feed.Next(FaultKind::kNone, true);  // a new run, well after the episode
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].kind, Kind::kFalseAlarm);
  EXPECT_EQ(board.counts().false_alarms, 1);
}

TEST(ScoreboardTest, SatellitesAreScoredSeparately) {
  Scoreboard board;
  Feed one(board, "SAT-001"), two(board, "SAT-002");
  ASSERT_EQ(one.Next(FaultKind::kWheelFriction, false).size(), 1u);  // started
  auto alarm = two.Next(FaultKind::kNone, true);
  ASSERT_EQ(alarm.size(), 1u);
  EXPECT_EQ(alarm[0].kind, Kind::kFalseAlarm);
  EXPECT_EQ(alarm[0].satellite_id, "SAT-002");
  auto detected = one.Next(FaultKind::kWheelFriction, true);
  ASSERT_EQ(detected.size(), 1u);
  EXPECT_EQ(detected[0].kind, Kind::kDetected);
  EXPECT_EQ(detected[0].satellite_id, "SAT-001");
  EXPECT_EQ(detected[0].records, 1);
  EXPECT_EQ(board.counts().records, 3);
}

}  // namespace
}  // namespace astraguard::sim
