#include "astraguard/storage/anomaly_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace astraguard::storage {
namespace {

namespace fs = std::filesystem;

class AnomalyLogTest : public ::testing::Test {
 protected:
  AnomalyLogTest()
      : dir_(fs::temp_directory_path() /
             ("astraguard-log-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(dir_);
  }
  ~AnomalyLogTest() override { fs::remove_all(dir_); }

  std::unique_ptr<DurableAnomalyStore> Open(size_t capacity, OpenReport* report = nullptr) {
    auto s = DurableAnomalyStore::Open(dir_.string(), capacity, FsyncPolicy::kAlways, report);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static AnomalyRecord Record(int i) {
    AnomalyRecord r;
    r.satellite_id = "SAT-" + std::to_string(i);
    r.timestamp_ms = 1000 + i;
    r.recorded_ms = 2000 + i;
    r.anomaly_score = 0.95;
    r.severity_score = 0.9;
    r.severity_rank = 3;
    r.severity_level = "CRITICAL";
    r.confidence = 0.5;
    r.anomaly_type = "power_fault";
    r.classification_reason = "voltage \"low\"\n";
    r.mission_phase = "NOMINAL_OPS";
    r.recommended_action = "REDUCE_POWER_LOAD";
    r.action_status = "recommended";
    r.escalated = i % 2 == 0;
    r.recurrence_count = i;
    r.reasoning = "because";
    r.values = {{"voltage", 20.25}, {"temperature", -3}};
    r.contributing = {{"voltage", 20.25, 1.0, "below red-low"}};
    return r;
  }
  std::string LogText() const {
    std::ifstream in(dir_ / "anomalies.log", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void AppendRaw(std::string_view bytes) const {
    std::ofstream(dir_ / "anomalies.log", std::ios::binary | std::ios::app) << bytes;
  }

  fs::path dir_;
};

TEST_F(AnomalyLogTest, ReplaysAppendsAndFeedbackAfterRestart) {
  {
    auto s = Open(100);
    EXPECT_EQ(*s->Append(Record(1)), "an-1");
    EXPECT_EQ(*s->Append(Record(2)), "an-2");
    ASSERT_TRUE(s->SetFeedback("an-1", {FeedbackLabel::kFalsePositive, "noise", 42}).ok());
    EXPECT_EQ(s->SetFeedback("an-9", {}).status().code(), Code::kNotFound);
  }
  OpenReport report;
  auto s = Open(100, &report);
  EXPECT_EQ(report.replayed, 3u);
  EXPECT_EQ(report.dropped_bytes, 0u);
  auto a = s->Get("an-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->satellite_id, "SAT-1");
  EXPECT_EQ(a->classification_reason, "voltage \"low\"\n");
  EXPECT_EQ(a->values, Record(1).values);
  ASSERT_EQ(a->contributing.size(), 1u);
  EXPECT_EQ(a->contributing[0].reason, "below red-low");
  ASSERT_TRUE(a->feedback);
  EXPECT_EQ(a->feedback->label, FeedbackLabel::kFalsePositive);
  EXPECT_EQ(a->feedback->note, "noise");
  EXPECT_EQ(a->feedback->at_ms, 42);
  EXPECT_TRUE(s->Get("an-2")->escalated);
  EXPECT_EQ(*s->Append(Record(3)), "an-3");
  EXPECT_EQ(s->Stats().backend, "file");
}

TEST_F(AnomalyLogTest, TornLastLineIsDroppedAndReported) {
  {
    auto s = Open(100);
    ASSERT_TRUE(s->Append(Record(1)).ok());
    ASSERT_TRUE(s->Append(Record(2)).ok());
  }
  const std::string whole = LogText();
  AppendRaw(whole.substr(0, 40));  // a write cut short by a crash
  OpenReport report;
  auto s = Open(100, &report);
  EXPECT_EQ(report.replayed, 2u);
  EXPECT_EQ(report.dropped_bytes, 40u);
  EXPECT_NE(report.dropped.find("torn last line"), std::string::npos) << report.dropped;
  EXPECT_EQ(LogText(), whole);  // cut back to whole lines
  EXPECT_EQ(*s->Append(Record(3)), "an-3");
  s.reset();
  OpenReport again;
  Open(100, &again);
  EXPECT_EQ(again.replayed, 3u);
  EXPECT_TRUE(again.dropped.empty());
}

TEST_F(AnomalyLogTest, CorruptLineEndsTheReplay) {
  {
    auto s = Open(100);
    ASSERT_TRUE(s->Append(Record(1)).ok());
    ASSERT_TRUE(s->Append(Record(2)).ok());
  }
  std::string text = LogText();
  text[text.size() - 5] ^= 1;  // flip a bit in the last record
  fs::remove(dir_ / "anomalies.log");
  AppendRaw(text);
  OpenReport report;
  auto s = Open(100, &report);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_NE(report.dropped.find("checksum mismatch"), std::string::npos) << report.dropped;
  EXPECT_TRUE(s->Get("an-1").ok());
  EXPECT_FALSE(s->Get("an-2").ok());
  EXPECT_EQ(*s->Append(Record(2)), "an-2");
}

TEST_F(AnomalyLogTest, CompactionBoundsTheFileAndKeepsIds) {
  {
    auto s = Open(3);
    for (int i = 1; i <= 10; ++i) ASSERT_EQ(*s->Append(Record(i)), "an-" + std::to_string(i));
    ASSERT_TRUE(s->SetFeedback("an-9", {FeedbackLabel::kConfirmed, "", 1}).ok());
  }
  const std::string text = LogText();
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 6);
  auto s = Open(3);
  EXPECT_FALSE(s->Get("an-7").ok());
  for (int i = 8; i <= 10; ++i) EXPECT_TRUE(s->Get("an-" + std::to_string(i)).ok()) << i;
  EXPECT_TRUE(s->Get("an-9")->feedback);
  EXPECT_EQ(*s->Append(Record(11)), "an-11");
}

TEST_F(AnomalyLogTest, ReadLogStopsAtGarbageWithoutThrowing) {
  LogEntry e;
  e.record = Record(1);
  e.record.id = "an-1";
  const std::string good = FormatLogLine(e);
  for (const std::string& tail : {std::string("zzzzzzzz {}\n"), std::string("0 x\n"),
                                  std::string("\n"), std::string("00000000 \n")}) {
    std::istringstream in(good + tail + good);
    size_t applied = 0;
    ReplayResult r = ReadLog(in, [&](LogEntry&&) { ++applied; return Status::Ok(); });
    EXPECT_EQ(applied, 1u) << tail;
    EXPECT_EQ(r.good_bytes, good.size()) << tail;
    EXPECT_FALSE(r.dropped.empty()) << tail;
  }
}

TEST_F(AnomalyLogTest, ConcurrentAppendsAndFeedbackWithTheSyncThreadAllReplay) {
  {
    auto s = DurableAnomalyStore::Open(dir_.string(), 1000, FsyncPolicy::kEverySecond);
    ASSERT_TRUE(s.ok());
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&s, t] {
        for (int i = 0; i < 100; ++i) {
          auto id = (*s)->Append(Record(t * 100 + i));
          ASSERT_TRUE(id.ok());
          ASSERT_TRUE((*s)->SetFeedback(*id, {FeedbackLabel::kConfirmed, "", i}).ok());
          ASSERT_TRUE((*s)->Get(*id).ok());
        }
      });
    }
    for (auto& w : writers) w.join();
  }
  OpenReport report;
  auto s = Open(1000, &report);
  EXPECT_EQ(report.replayed, 800u);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(s->Stats().size, 400);
  EXPECT_TRUE(s->Get("an-400")->feedback);
}

TEST(FsyncPolicyTest, ParsesTheThreeNames) {
  EXPECT_EQ(ParseFsyncPolicy("always"), FsyncPolicy::kAlways);
  EXPECT_EQ(ParseFsyncPolicy("everysec"), FsyncPolicy::kEverySecond);
  EXPECT_EQ(ParseFsyncPolicy("none"), FsyncPolicy::kNone);
  EXPECT_FALSE(ParseFsyncPolicy("sometimes"));
}

}  // namespace
}  // namespace astraguard::storage
