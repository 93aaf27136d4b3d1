#include "astraguard/detect/evaluate.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
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

// Cross-validation mechanics on hand-made per-channel scores. Channels 0-1 are fold 1, 2-3
// fold 2. Candidate 0 detects half the sequences everywhere; candidate 1 detects every sequence
// of fold 2 but raises false alarms on fold 1.
class CrossValidateTest : public ::testing::Test {
 protected:
  static Scores Half() { return ScoreChannel({{100, 110}}, {{100, 199}, {500, 599}}, 10000); }
  static Scores All() {
    return ScoreChannel({{100, 110}, {500, 510}}, {{100, 199}, {500, 599}}, 10000);
  }
  static Scores Noisy() {
    return ScoreChannel({{100, 110}, {2000, 2010}, {3000, 3010}}, {{100, 199}, {500, 599}}, 100000);
  }
  std::vector<std::vector<Scores>> scores_{{Half(), Half(), Half(), Half()},
                                           {Noisy(), Noisy(), All(), All()}};
  std::vector<std::vector<int>> neighbours_{{1}, {0}};
  std::vector<int> folds_{1, 1, 2, 2};
};

TEST_F(CrossValidateTest, SelectionNeverSeesTheHeldOutFold) {
  const CrossValidation cv = CrossValidate(scores_, {{}, {}}, folds_);
  ASSERT_EQ(cv.folds, (std::vector<int>{1, 2}));
  // Fold 1 held out: chosen on fold 2, where candidate 1 is perfect; scored on fold 1.
  EXPECT_EQ(cv.chosen[0].candidate, 1);
  EXPECT_EQ(cv.held_out[0].detected, 2);
  EXPECT_EQ(cv.held_out[0].false_intervals, 4);
  // Fold 2 held out: chosen on fold 1, where candidate 0 is better, although candidate 1 is
  // perfect on fold 2 itself.
  EXPECT_EQ(cv.chosen[1].candidate, 0);
  EXPECT_EQ(cv.held_out[1].detected, 2);
  EXPECT_EQ(cv.pooled.sequences, 8);
  EXPECT_EQ(cv.pooled.detected, 4);
  EXPECT_EQ(cv.pooled.false_intervals, 4);
  // Whatever the held-out fold's scores are, the choice for it stays the same: make fold 1
  // favour candidate 0, then fold 2 favour candidate 1.
  const Scores nothing = ScoreChannel({}, {{100, 199}, {500, 599}}, 10000);
  auto fold1 = scores_;
  for (int i : {0, 1}) fold1[0][i] = All(), fold1[1][i] = nothing;
  EXPECT_EQ(CrossValidate(fold1, {{}, {}}, folds_).chosen[0].candidate, 1);
  auto fold2 = scores_;
  for (int i : {2, 3}) fold2[0][i] = nothing, fold2[1][i] = All();
  EXPECT_EQ(CrossValidate(fold2, {{}, {}}, folds_).chosen[1].candidate, 0);
  // On every channel both score F1 2/3 (P 1, R 0.5 vs P 0.6, R 0.75): the lower index wins.
  EXPECT_EQ(cv.all.candidate, 0);
  EXPECT_NEAR(cv.all.pooled.F1(), 2.0 / 3, 1e-12);
  EXPECT_EQ(cv.all.pooled.channels, 4);
}

TEST_F(CrossValidateTest, GuardrailsExcludeACandidate) {
  // Candidate 1 in alarm 7% of the steps on fold 2: it cannot be chosen there.
  for (int i : {2, 3}) scores_[1][i] = ScoreChannel({{100, 799}}, {{100, 199}, {500, 599}}, 10000);
  EXPECT_GT(scores_[1][2].AlarmFraction(), kMaxAlarmFraction);
  const CrossValidation cv = CrossValidate(scores_, {{}, {}}, folds_);
  EXPECT_EQ(cv.chosen[0].candidate, 0);
  // Nothing meets them: no choice, nothing scored.
  std::vector<std::vector<Scores>> none{{scores_[1][2], scores_[1][3], scores_[1][2]}};
  const CrossValidation empty = CrossValidate(none, {{}}, {1, 2, 2});
  EXPECT_EQ(empty.chosen[0].candidate, -1);
  EXPECT_EQ(empty.held_out[0].channels, 0);
}

TEST_F(CrossValidateTest, PlateauBeatsAPeak) {
  // Six candidates in a row: a peak (F1 1) between two poor ones, then a plateau of three at
  // F1 0.67: the middle of the plateau wins.
  const Scores poor = ScoreChannel({}, {{100, 199}}, 10000);
  std::vector<std::vector<Scores>> s{{poor}, {All()}, {poor}, {Half()}, {Half()}, {Half()}};
  const std::vector<std::vector<int>> line{{1}, {0, 2}, {1, 3}, {2, 4}, {3, 5}, {4}};
  const Selection sel = SelectCandidate(s, line, {true});
  EXPECT_EQ(sel.candidate, 4);
  EXPECT_NEAR(sel.plateau_f1, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(sel.pooled.F1(), Half().F1());
  // Without neighbours the peak wins.
  EXPECT_EQ(SelectCandidate(s, std::vector<std::vector<int>>(6), {true}).candidate, 1);
}

TEST(GridAxisTest, ParsesAndRejects) {
  auto a = ParseGridAxis("smoothing=0.02,0.03");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->key, "smoothing");
  EXPECT_EQ(a->values, (std::vector<double>{0.02, 0.03}));
  EXPECT_FALSE(ParseGridAxis("nope=1").ok());
  EXPECT_FALSE(ParseGridAxis("lags=").ok());
  EXPECT_FALSE(ParseGridAxis("lags=10,x").ok());
  EXPECT_FALSE(ParseGridAxis("=1").ok());
  EXPECT_FALSE(ParseGridAxis("smoothing=1e-400").ok());
  EXPECT_FALSE(ParseGridAxis("smoothing=nan").ok());
}

// The protocol end to end on a tiny folder: two channels, one per fold, each with a labelled
// level shift; candidates min_error 0.03 (finds them) and 100 (never alarms).
TEST(EvaluateCvFolderTest, ChoosesOnTheOtherFoldAndPoolsTheHeldOutFigures) {
  const fs::path dir = fs::temp_directory_path() / ("ag_cv_" + std::to_string(::getpid()));
  fs::create_directories(dir / "SMAP");
  std::ofstream labels(dir / "labeled_anomalies.csv");
  labels << "chan_id,spacecraft,anomaly_sequences,class,num_values\n";
  std::ofstream folds(dir / "folds.csv");
  folds << "chan_id,spacecraft,fold\n";
  for (int k = 1; k <= 2; ++k) {
    auto train = testing::Nominal(3000, 10 + k, 0.5, 0.3, 0.02);
    auto test = testing::Nominal(4000, 20 + k, 0.5, 0.3, 0.02, 90.0, 3000);
    for (std::size_t t = 2500; t < 2600; ++t) test[t] += 0.8;
    const std::string name = "X-" + std::to_string(k);
    WriteGz(dir / "SMAP" / (name + "_train.npy.gz"), testing::NpyImage(train, 3000, 1));
    WriteGz(dir / "SMAP" / (name + "_test.npy.gz"), testing::NpyImage(test, 4000, 1));
    labels << name << ",SMAP,\"[[2500, 2599]]\",[point],4000\n";
    folds << name << ",SMAP," << k << "\n";
  }
  labels.close();
  folds.close();
  EvaluateOptions o;
  o.data_dir = dir.string();
  o.cv = true;
  o.json = true;
  o.grid = {{"min_error", {100, 0.03}}};
  o.detector.range_steps = 0;  // the level shift leaves the training range: only the residual
  std::ostringstream out, err;
  ASSERT_EQ(RunEvaluate(o, out, err), 0) << err.str();
  const std::string j = out.str();
  EXPECT_NE(j.find("{\"fold\": 1, \"chosen\": \"min_error=0.03\""), std::string::npos) << j;
  EXPECT_NE(j.find("{\"fold\": 2, \"chosen\": \"min_error=0.03\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"cross_validated\": {\"event_precision\": 1.0000, \"event_recall\": 1.0000"),
            std::string::npos)
      << j;
  // A channel without a fold is a data error naming it.
  std::ofstream(dir / "folds.csv") << "chan_id,spacecraft,fold\nX-1,SMAP,1\n";
  std::ostringstream out2, err2;
  EXPECT_EQ(RunEvaluate(o, out2, err2), 1);
  EXPECT_NE(err2.str().find("X-2"), std::string::npos) << err2.str();
  fs::remove_all(dir);
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
