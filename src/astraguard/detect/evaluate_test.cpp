#include "astraguard/detect/evaluate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "astraguard/detect/testing_util.hpp"
#include "astraguard/detect/train.hpp"

namespace astraguard::detect {
namespace {

namespace fs = std::filesystem;

TEST(ScoreChannelTest, CountsEventsPointsAndLatency) {
  // Labels [100, 199] and [500, 519]; alarms [150, 160] (tp, latency 50) and [300, 309] (fp).
  Scores s = ScoreChannel({{150, 160}, {300, 309}}, {{100, 199}, {500, 519}}, 1000);
  EXPECT_EQ(s.detected, 1);
  EXPECT_EQ(s.false_intervals, 1);
  EXPECT_EQ(s.sequences, 2);
  EXPECT_DOUBLE_EQ(s.Precision(), 0.5);
  EXPECT_DOUBLE_EQ(s.Recall(), 0.5);
  EXPECT_DOUBLE_EQ(s.F1(), 0.5);
  ASSERT_EQ(s.latencies.size(), 1u);
  EXPECT_EQ(s.latencies[0], 50.0);
  EXPECT_EQ(s.alarm_steps, 21);
  EXPECT_EQ(s.true_alarm_steps, 11);
  EXPECT_DOUBLE_EQ(s.AlarmFraction(), 0.021);
  EXPECT_DOUBLE_EQ(s.FalseAlarmsPer10k(), 10.0);
}

// q outside [0, 1] made the index cast undefined and read outside the sorted latencies.
TEST(ScoreChannelTest, LatencyQuantileOutsideZeroOneIsNaN) {
  Scores s;
  s.latencies = {10, 20, 30};
  EXPECT_DOUBLE_EQ(s.LatencyQuantile(0.5), 20.0);
  for (double q : {-1.0, 1.5, 1e300, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_TRUE(std::isnan(s.LatencyQuantile(q))) << q;
  }
}

TEST(ScoreChannelTest, AlarmOpenBeforeLabelHasZeroLatency) {
  Scores s = ScoreChannel({{90, 120}}, {{100, 199}}, 300);
  EXPECT_EQ(s.detected, 1);
  EXPECT_EQ(s.false_intervals, 0);
  EXPECT_EQ(s.latencies[0], 0.0);
}

void WriteGz(const fs::path& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

// A folder laid out like the development split: one channel "X-1" (2 columns) in SMAP/.
class EvaluateFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ag_eval_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "SMAP");
    auto train = testing::Nominal(3000, 1, 0.5, 0.3, 0.02);
    auto test = testing::Nominal(4000, 2, 0.5, 0.3, 0.02, 90.0, 3000);
    for (std::size_t t = 2500; t < 2600; ++t) test[t] += 0.8;  // a labelled level shift
    auto two_cols = [](const std::vector<double>& v) {
      std::vector<double> m;
      for (double x : v) m.insert(m.end(), {x, 0.0});
      return m;
    };
    WriteGz(dir_ / "SMAP" / "X-1_train.npy.gz", testing::NpyImage(two_cols(train), 3000, 2));
    WriteGz(dir_ / "SMAP" / "X-1_test.npy.gz", testing::NpyImage(two_cols(test), 4000, 2));
    std::ofstream(dir_ / "labeled_anomalies.csv")
        << "chan_id,spacecraft,anomaly_sequences,class,num_values\n"
        << "X-1,SMAP,\"[[2500, 2599]]\",[point],4000\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(EvaluateFolderTest, JsonHasEveryKeyAndFindsTheAnomaly) {
  EvaluateOptions o;
  o.data_dir = dir_.string();
  o.json = true;
  o.alarms_path = (dir_ / "alarms.json").string();
  std::ostringstream out, err;
  ASSERT_EQ(RunEvaluate(o, out, err), 0) << err.str();
  const std::string j = out.str();
  for (const char* key :
       {"event_precision", "event_recall", "event_f1", "point_f1", "latency_median", "latency_p90",
        "false_alarms_per_10k", "alarm_fraction", "steps_per_second", "channels"}) {
    EXPECT_NE(j.find(std::string("\"") + key + "\": "), std::string::npos) << key;
  }
  EXPECT_NE(j.find("\"event_f1\": 1.0000"), std::string::npos) << j;
  std::ifstream f(o.alarms_path);
  std::stringstream alarms;
  alarms << f.rdbuf();
  EXPECT_EQ(alarms.str().rfind("{\"X-1\": [[25", 0), 0u) << alarms.str();
}

TEST_F(EvaluateFolderTest, UnknownChannelIsAUsageError) {
  EvaluateOptions o;
  o.data_dir = dir_.string();
  o.channels = {"NOPE-1"};
  std::ostringstream out, err;
  EXPECT_EQ(RunEvaluate(o, out, err), 2);
  EXPECT_NE(err.str().find("NOPE-1"), std::string::npos);
}

TEST_F(EvaluateFolderTest, TrainReadsTheSameFolder) {
  TrainOptions t;
  t.data = dir_.string();
  t.out = (dir_ / "m.model").string();
  std::ostringstream out, err;
  ASSERT_EQ(RunTrain(t, out, err), 0) << err.str();
  auto m = Model::Load(t.out);
  ASSERT_TRUE(m.ok());
  ASSERT_NE(m->Find("X-1"), nullptr);
  EXPECT_EQ(m->Find("X-1")->num_inputs, 1);
}

TEST(LoadLabelsTest, UnionsRowsOfTheSameChannel) {
  const auto path = fs::temp_directory_path() / "ag_labels_test.csv";
  std::ofstream(path) << "chan_id,spacecraft,anomaly_sequences,class,num_values\n"
                      << "P-2,SMAP,\"[[5350, 6575]]\",[point],8209\n"
                      << "P-2,SMAP,\"[[5300, 6420]]\",[point],8209\n";
  auto labels = LoadLabels(path.string());
  fs::remove(path);
  ASSERT_TRUE(labels.ok());
  ASSERT_EQ(labels->size(), 1u);
  ASSERT_EQ((*labels)[0].sequences.size(), 1u);
  EXPECT_EQ((*labels)[0].sequences[0], Interval(5300, 6575));
}

TEST(TrainTest, CsvAndNdjsonTelemetry) {
  const auto dir = fs::temp_directory_path() / ("ag_train_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto v = testing::Nominal(600, 4);
  {
    std::ofstream csv(dir / "h.csv");
    csv << "timestamp,satellite_id,voltage,temperature\n";
    for (std::size_t t = 0; t < v.size(); ++t) {
      csv << "2026-01-01T00:00:" << t << "Z,sat-" << (t % 2) << "," << v[t] << "," << v[t] - 8
          << "\n";
    }
    std::ofstream nd(dir / "h.ndjson");
    for (std::size_t t = 0; t < v.size(); ++t) {
      nd << "{\"satellite_id\": \"a\", \"voltage\": " << v[t]
         << ", \"channels\": {\"bus_current\": " << v[t] / 10 << "}}\n";
    }
  }
  for (const char* file : {"h.csv", "h.ndjson"}) {
    TrainOptions t;
    t.data = (dir / file).string();
    t.out = (dir / "m.model").string();
    std::ostringstream out, err;
    ASSERT_EQ(RunTrain(t, out, err), 0) << file << ": " << err.str();
    auto m = Model::Load(t.out);
    ASSERT_TRUE(m.ok());
    EXPECT_NE(m->Find("voltage"), nullptr) << file;
    EXPECT_EQ(m->Find("timestamp"), nullptr) << file;
    EXPECT_EQ(m->Find("satellite_id"), nullptr) << file;
  }
  auto nd = Model::Load((dir / "m.model").string());
  EXPECT_NE(nd->Find("bus_current"), nullptr);
  fs::remove_all(dir);
}

TEST(TrainTest, FifoHistoryIsRefusedWithoutBlocking) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ag_train_fifo_" + std::to_string(::getpid()) + ".csv");
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto h = ReadTelemetryHistory(path.string());  // a blocking open would hang here
  std::filesystem::remove(path);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("not a regular file"), std::string::npos);
}

TEST(TrainTest, MissingArgumentsAreUsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(RunTrain(TrainOptions{}, out, err), 2);
}

}  // namespace
}  // namespace astraguard::detect
