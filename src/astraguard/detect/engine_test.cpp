#include "astraguard/detect/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "astraguard/detect/testing_util.hpp"
#include "astraguard/detect/train.hpp"

namespace astraguard::detect {
namespace {

constexpr std::size_t kTrain = 3000;

// A model that knows "pressure" (no configured limits): nominal sinusoid + noise, range ~2.6.
std::shared_ptr<const Model> PressureModel() {
  auto m = std::make_shared<Model>();
  auto v = testing::Nominal(kTrain, 101, 10.0, 1.0, 0.1);
  auto fitted = FitChannelModel("pressure", v, {}, 0, m->config);
  EXPECT_TRUE(fitted.ok());
  m->channels.emplace("pressure", std::move(*fitted));
  return m;
}

struct StreamRun {
  int anomalous_records = 0;
  std::int64_t first_anomaly = -1;
  std::vector<Detection> detections;
};

// Streams `series` as channel `name` of satellite "sat-1"; live data continues the training
// phase so that the predictor sees a continuous signal.
StreamRun Stream(Engine& engine, const std::string& name, const std::vector<double>& series) {
  StreamRun r;
  for (std::size_t t = 0; t < series.size(); ++t) {
    ChannelValue v{name, series[t]};
    Detection d = engine.Evaluate("sat-1", std::span<const ChannelValue>(&v, 1));
    if (d.is_anomaly) {
      ++r.anomalous_records;
      if (r.first_anomaly < 0) r.first_anomaly = static_cast<std::int64_t>(t);
    }
    r.detections.push_back(std::move(d));
  }
  return r;
}

std::vector<double> Live(std::size_t n = 4000) {
  return testing::Nominal(n, 202, 10.0, 1.0, 0.1, 90.0, kTrain);
}

class EngineLearnedTest : public ::testing::Test {
 protected:
  Engine engine_{EngineConfig{}, LimitsConfig{}, PressureModel()};
};

TEST_F(EngineLearnedTest, PureNoiseRaisesNoAlarm) {
  StreamRun r = Stream(engine_, "pressure", Live());
  EXPECT_EQ(r.anomalous_records, 0);
  EXPECT_FALSE(engine_.degraded());
}

TEST_F(EngineLearnedTest, SpikeIsDetectedWithReadableReason) {
  auto s = Live();
  s[3000] += 8.0;
  StreamRun r = Stream(engine_, "pressure", s);
  ASSERT_GE(r.first_anomaly, 3000);
  EXPECT_LE(r.first_anomaly, 3002);
  const Detection& d = r.detections[r.first_anomaly];
  ASSERT_FALSE(d.contributing.empty());
  EXPECT_EQ(d.contributing[0].channel, "pressure");
  EXPECT_NE(d.contributing[0].reason.find("sigma above its dynamic threshold"), std::string::npos)
      << d.contributing[0].reason;
  EXPECT_GT(d.anomaly_score, 0.5);
  ASSERT_FALSE(d.alarms.empty());
  EXPECT_TRUE(d.alarms[0].opened);
  EXPECT_EQ(d.alarms[0].start, r.first_anomaly);
}

TEST_F(EngineLearnedTest, AlarmIntervalClosesAfterHold) {
  auto s = Live();
  s[3000] += 8.0;
  StreamRun r = Stream(engine_, "pressure", s);
  int closes = 0;
  for (const auto& d : r.detections) {
    for (const auto& a : d.alarms) {
      if (!a.opened) {
        ++closes;
        EXPECT_EQ(a.start, r.first_anomaly);
        EXPECT_GE(a.end, a.start + engine_.config().hold);
      }
    }
  }
  EXPECT_EQ(closes, 1);
}

TEST_F(EngineLearnedTest, LevelShiftIsDetected) {
  auto s = Live();
  for (std::size_t t = 3000; t < s.size(); ++t) s[t] += 3.0;
  StreamRun r = Stream(engine_, "pressure", s);
  EXPECT_GE(r.first_anomaly, 3000);
  EXPECT_LE(r.first_anomaly, 3020);
}

TEST_F(EngineLearnedTest, DriftIsDetected) {
  auto s = Live();
  for (std::size_t t = 3000; t < s.size(); ++t) s[t] += 0.005 * double(t - 3000);
  StreamRun r = Stream(engine_, "pressure", s);
  EXPECT_GE(r.first_anomaly, 3000);
  EXPECT_LE(r.first_anomaly, 3800);
}

TEST_F(EngineLearnedTest, StuckSensorIsDetected) {
  auto s = Live();
  for (std::size_t t = 3000; t < 3200; ++t) s[t] = s[2999];
  StreamRun r = Stream(engine_, "pressure", s);
  ASSERT_GE(r.first_anomaly, 3000);
  EXPECT_LE(r.first_anomaly, 3000 + EngineConfig{}.stuck_steps);
  bool stuck_reason = false;
  for (const auto& c : r.detections[r.first_anomaly].contributing) {
    stuck_reason = stuck_reason || c.reason.find("stuck at") != std::string::npos;
  }
  EXPECT_TRUE(stuck_reason);
}

TEST(EngineRangeTest, SustainedExcursionPastTheTrainingRangeIsExplained) {
  auto m = std::make_shared<Model>();
  m->config.range_margin = 0.05;
  m->config.range_steps = 20;
  m->config.min_error = 1e9;  // the residual never flags here: only the range rule can
  auto fitted =
      FitChannelModel("pressure", testing::Nominal(kTrain, 101, 10.0, 1.0, 0.1), {}, 0, m->config);
  ASSERT_TRUE(fitted.ok());
  const double above = fitted->value_max + 0.2 * fitted->Range();
  m->channels.emplace("pressure", std::move(*fitted));
  Engine engine(EngineConfig{}, LimitsConfig{}, m);
  auto s = Live();
  for (std::size_t t = 3000; t < s.size(); ++t) s[t] = above + 0.01 * double(t % 7);
  StreamRun r = Stream(engine, "pressure", s);
  EXPECT_EQ(r.first_anomaly, 3019);  // the 20th step outside
  ASSERT_GE(r.first_anomaly, 0);
  const Detection& d = r.detections[static_cast<std::size_t>(r.first_anomaly)];
  ASSERT_FALSE(d.contributing.empty());
  EXPECT_NE(d.contributing[0].reason.find("outside its training range"), std::string::npos)
      << d.contributing[0].reason;
  EXPECT_GT(d.contributing[0].score, 0.5);
}

TEST(EngineVariabilityTest, RiseOfStepToStepChangeIsExplained) {
  auto m = std::make_shared<Model>();
  m->config.var_factor = 2;
  m->config.var_smoothing = 0.005;
  m->config.min_error = 1e9;  // only the variability rule can flag here
  m->config.range_steps = 0;
  auto fitted =
      FitChannelModel("pressure", testing::Nominal(kTrain, 101, 10.0, 1.0, 0.1), {}, 0, m->config);
  ASSERT_TRUE(fitted.ok());
  m->channels.emplace("pressure", std::move(*fitted));
  Engine engine(EngineConfig{}, LimitsConfig{}, m);
  auto s = Live();
  const auto rough = testing::Nominal(4000, 202, 10.0, 1.0, 0.5, 90.0, kTrain);
  for (std::size_t t = 3000; t < s.size(); ++t) s[t] = rough[t];
  StreamRun r = Stream(engine, "pressure", s);
  ASSERT_GE(r.first_anomaly, 3000);
  EXPECT_LE(r.first_anomaly, 3200);
  const Detection& d = r.detections[static_cast<std::size_t>(r.first_anomaly)];
  ASSERT_FALSE(d.contributing.empty());
  EXPECT_NE(d.contributing[0].reason.find("step-to-step change"), std::string::npos)
      << d.contributing[0].reason;
  EXPECT_GT(d.contributing[0].score, 0.5);
}

// Channels without a model use robust statistics.
class EngineRobustTest : public ::testing::Test {
 protected:
  Engine engine_{EngineConfig{}, LimitsConfig{}, nullptr};
};

TEST_F(EngineRobustTest, PureNoiseRaisesNoAlarm) {
  StreamRun r = Stream(engine_, "flow", Live(6000));
  EXPECT_EQ(r.anomalous_records, 0);
  EXPECT_TRUE(engine_.degraded());
}

TEST_F(EngineRobustTest, SpikeIsDetected) {
  auto s = Live();
  s[2500] += 8.0;
  StreamRun r = Stream(engine_, "flow", s);
  EXPECT_EQ(r.first_anomaly, 2500);
  EXPECT_NE(r.detections[2500].contributing[0].reason.find("running median"), std::string::npos);
}

TEST_F(EngineRobustTest, LevelShiftIsDetected) {
  auto s = Live();
  for (std::size_t t = 2500; t < s.size(); ++t) s[t] += 6.0;
  StreamRun r = Stream(engine_, "flow", s);
  EXPECT_EQ(r.first_anomaly, 2500);
}

TEST_F(EngineRobustTest, DriftIsDetected) {
  auto s = Live();
  for (std::size_t t = 2500; t < s.size(); ++t) s[t] += 0.02 * double(t - 2500);
  StreamRun r = Stream(engine_, "flow", s);
  EXPECT_GE(r.first_anomaly, 2500);
  EXPECT_LE(r.first_anomaly, 3500);
}

TEST_F(EngineRobustTest, StuckSensorIsDetected) {
  auto s = Live();
  for (std::size_t t = 2500; t < 2700; ++t) s[t] = s[2499];
  StreamRun r = Stream(engine_, "flow", s);
  EXPECT_GE(r.first_anomaly, 2500);
  EXPECT_LE(r.first_anomaly, 2500 + EngineConfig{}.stuck_steps);
}

// The default model: trained on the documented nominal profile of the five standard channels.
TEST(EngineTest, NominalProfileModelIsQuietOnNominalAndFlagsFaults) {
  TrainOptions t;
  t.profile = "nominal";
  std::ostringstream log;
  auto model = TrainModel(t, log);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->channels.size(), 5u);
  Engine engine(EngineConfig{}, DefaultLimits(), std::make_shared<const Model>(std::move(*model)));
  // Fresh nominal data (another seed) for three satellites: no anomaly.
  auto live = NominalProfile(4000, 3, 7);
  const char* names[] = {"voltage", "temperature", "gyro", "current", "wheel_speed"};
  int anomalies = 0;
  std::int64_t fault_detected_at = -1;
  for (std::size_t t = 0; t < 4000; ++t) {
    for (int s = 0; s < 3; ++s) {
      std::vector<ChannelValue> rec;
      for (const char* n : names) {
        double v = live[n].segments[s][t];
        // satellite 2: current steps up by 1 A (well inside its 8 A yellow limit) at t = 3000
        if (s == 2 && t >= 3000 && std::string_view(n) == "current") v += 1.0;
        rec.push_back({n, v});
      }
      Detection d = engine.Evaluate("sat-" + std::to_string(s), rec);
      if (d.is_anomaly && !(s == 2 && t >= 3000)) ++anomalies;
      if (d.is_anomaly && s == 2 && t >= 3000 && fault_detected_at < 0) {
        fault_detected_at = static_cast<std::int64_t>(t);
      }
    }
  }
  EXPECT_EQ(anomalies, 0);
  EXPECT_GE(fault_detected_at, 3000);
  EXPECT_LE(fault_detected_at, 3030);  // EWMA-smoothed errors: ~20 records
}

TEST(EngineTest, NonFiniteValuesNeitherCrashNorPoisonState) {
  Engine engine(EngineConfig{}, LimitsConfig{}, PressureModel());
  auto s = Live(1500);
  for (std::size_t t = 0; t < s.size(); ++t) {
    double v = s[t];
    if (t % 100 == 50) v = std::nan("");
    if (t % 100 == 70) v = std::numeric_limits<double>::infinity();
    std::vector<ChannelValue> rec{{"pressure", v}, {"flow", v}};
    Detection d = engine.Evaluate("sat", rec);
    EXPECT_TRUE(std::isfinite(d.anomaly_score)) << t;
  }
  // After the gaps the channels are still nominal and quiet.
  std::vector<ChannelValue> rec{{"pressure", s.back()}, {"flow", s.back()}};
  EXPECT_FALSE(engine.Evaluate("sat", rec).is_anomaly);
}

TEST(EngineTest, LimitsWorkWithoutAModel) {
  Engine engine(EngineConfig{}, DefaultLimits(), nullptr);
  std::vector<ChannelValue> rec{{"voltage", 28.0}, {"wheel_speed", 6100.0}};
  Detection d = engine.Evaluate("sat-1", rec);
  EXPECT_TRUE(d.is_anomaly);
  EXPECT_EQ(d.anomaly_score, 1.0);
  ASSERT_FALSE(d.contributing.empty());
  EXPECT_EQ(d.contributing[0].reason, "wheel_speed 6100 RPM above red-high 6000 RPM");
  EXPECT_EQ(d.confidence, 1.0);
}

TEST(EngineTest, EvictsLeastRecentlyUsedSatellite) {
  EngineConfig c;
  c.shards = 1;
  c.max_satellites = 2;
  Engine engine(c, LimitsConfig{}, nullptr);
  ChannelValue v{"flow", 1.0};
  std::span<const ChannelValue> rec(&v, 1);
  engine.Evaluate("a", rec);
  engine.Evaluate("b", rec);
  engine.Evaluate("a", rec);  // a is now the most recent
  engine.Evaluate("c", rec);  // evicts b
  EXPECT_EQ(engine.tracked_satellites(), 2u);
  EXPECT_EQ(engine.evictions(), 1u);
  engine.Evaluate("a", rec);  // still tracked: no eviction
  EXPECT_EQ(engine.evictions(), 1u);
  engine.Evaluate("b", rec);  // b comes back, evicting c
  EXPECT_EQ(engine.evictions(), 2u);
}

TEST(EngineTest, IsDeterministic) {
  auto model = PressureModel();
  Engine a(EngineConfig{}, DefaultLimits(), model);
  Engine b(EngineConfig{}, DefaultLimits(), model);
  auto s = Live(2000);
  s[1500] += 8.0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    std::vector<ChannelValue> rec{{"pressure", s[t]}, {"voltage", 28 + s[t] - 10}};
    Detection x = a.Evaluate("sat", rec);
    Detection y = b.Evaluate("sat", rec);
    ASSERT_EQ(x.is_anomaly, y.is_anomaly);
    ASSERT_EQ(x.anomaly_score, y.anomaly_score);
    ASSERT_EQ(x.contributing.size(), y.contributing.size());
  }
}

TEST(EngineTest, SatellitesAreIndependentAcrossThreads) {
  Engine engine(EngineConfig{}, LimitsConfig{}, PressureModel());
  auto s = Live(1500);
  std::vector<int> anomalies(4, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string sat = "sat-" + std::to_string(i);
      for (std::size_t t = 0; t < s.size(); ++t) {
        double v = s[t] + (i == 3 && t == 1000 ? 8.0 : 0.0);
        ChannelValue cv{"pressure", v};
        if (engine.Evaluate(sat, std::span<const ChannelValue>(&cv, 1)).is_anomaly) ++anomalies[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(anomalies[0], 0);
  EXPECT_EQ(anomalies[1], 0);
  EXPECT_EQ(anomalies[2], 0);
  EXPECT_GT(anomalies[3], 0);
  EXPECT_EQ(engine.tracked_satellites(), 4u);
}

TEST(EngineTest, MemoryPerChannelIsBounded) {
  Engine engine(EngineConfig{}, LimitsConfig{}, PressureModel());
  const std::size_t bytes = engine.MemoryBytesPerChannel();
  EXPECT_GT(bytes, 0u);
  EXPECT_LT(bytes, 16u * 1024u);
}

}  // namespace
}  // namespace astraguard::detect

namespace astraguard::detect {
namespace {

TEST(EngineTest, LimitSetIsChosenPerCall) {
  LimitsConfig strict, relaxed;
  strict.channels["bus_b"] = {-1e9, -1e9, 3, 4, "A"};
  relaxed.channels["bus_b"] = {-1e9, -1e9, 8, 10, "A"};
  Engine engine(EngineConfig{}, std::vector<LimitsConfig>{strict, relaxed}, nullptr);
  std::vector<ChannelValue> rec{{"bus_b", 5.0}};
  EXPECT_TRUE(engine.Evaluate("sat-1", rec, 0).is_anomaly);
  EXPECT_FALSE(engine.Evaluate("sat-2", rec, 1).is_anomaly);
  EXPECT_FALSE(engine.Evaluate("sat-3", rec, 7).is_anomaly);  // clamped to the last set
}

}  // namespace
}  // namespace astraguard::detect

namespace astraguard::detect {
namespace {

constexpr double kHostileValues[] = {1e300,
                                     -1e300,
                                     1e40,
                                     -1e40,
                                     1.2e40,
                                     1e41,
                                     1e16,
                                     std::numeric_limits<double>::max(),
                                     -std::numeric_limits<double>::max(),
                                     std::numeric_limits<double>::lowest()};

bool AllFinite(const Detection& d) {
  if (!std::isfinite(d.anomaly_score) || !std::isfinite(d.confidence)) return false;
  for (const auto& c : d.contributing) {
    if (!std::isfinite(c.score) || c.score < 0 || c.score > 1) return false;
  }
  return true;
}

// Regression: {"gyro":1e300} as the first record of a new satellite crashed the process (the
// learned detector's float-narrowed error became inf and indexed the threshold buckets with
// INT_MIN). Every huge finite value, first or later, on a learned and on a robust channel, is
// now an anomaly with a readable reason and leaves the state usable.
TEST(EngineHostileTest, HugeFiniteValuesAreReportedNotLearned) {
  for (double hostile : kHostileValues) {
    Engine engine(EngineConfig{}, LimitsConfig{}, PressureModel());
    std::vector<ChannelValue> first{{"pressure", hostile}, {"aux", hostile}};
    Detection d = engine.Evaluate("new-sat", first);  // the satellite's first record
    ASSERT_TRUE(AllFinite(d)) << hostile;
    EXPECT_TRUE(d.is_anomaly) << hostile;
    ASSERT_EQ(d.contributing.size(), 2u) << hostile;
    for (const auto& c : d.contributing) {
      EXPECT_EQ(c.score, 1.0);
      EXPECT_NE(c.reason.find("beyond the magnitude the detector can use"), std::string::npos)
          << c.reason;
    }
    // Nominal records afterwards, with the hostile value now and then: the state stays finite
    // and the learned channel still tracks its signal.
    auto live = Live(1500);
    int late_anomalies = 0;
    for (std::size_t t = 0; t < live.size(); ++t) {
      const double v = t % 97 == 0 && t < 500 ? hostile : live[t];
      std::vector<ChannelValue> rec{{"pressure", v}, {"aux", live[t] - 10.0}};
      Detection dt = engine.Evaluate("new-sat", rec);
      ASSERT_TRUE(AllFinite(dt)) << hostile << " at " << t;
      if (t >= 1000 && dt.is_anomaly) ++late_anomalies;
    }
    EXPECT_EQ(late_anomalies, 0) << hostile;
  }
}

TEST(EngineHostileTest, TinyAndNonFiniteValuesAreSafe) {
  const double kOdd[] = {std::numeric_limits<double>::denorm_min(),
                         -std::numeric_limits<double>::denorm_min(),
                         std::numeric_limits<double>::min(),
                         std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(),
                         1e15,
                         -1e15};
  for (double odd : kOdd) {
    Engine engine(EngineConfig{}, LimitsConfig{}, PressureModel());
    auto live = Live(600);
    for (std::size_t t = 0; t < live.size(); ++t) {
      const double v = t % 50 == 0 ? odd : live[t];
      std::vector<ChannelValue> rec{{"pressure", v}, {"aux", t % 50 == 0 ? odd : live[t]}};
      ASSERT_TRUE(AllFinite(engine.Evaluate("sat-odd", rec))) << odd << " at " << t;
    }
  }
}

TEST(EngineHostileTest, DegradedEngineHandlesHugeValues) {
  Engine engine(EngineConfig{}, DefaultLimits(), nullptr);
  for (double hostile : kHostileValues) {
    std::vector<ChannelValue> rec{{"voltage", 28},
                                  {"temperature", 20},
                                  {"gyro", hostile},
                                  {"current", hostile},
                                  {"wheel_speed", hostile}};
    Detection d = engine.Evaluate("sat-deg", rec);
    ASSERT_TRUE(AllFinite(d)) << hostile;
    EXPECT_TRUE(d.is_anomaly);
  }
}

// ChannelDetector used directly (as the SMAP/MSL evaluation does): any finite double is
// clamped before it enters the state and flagged; non-finite values are missing values.
TEST(ChannelDetectorHostileTest, StateStaysFiniteForAnyDouble) {
  auto model = PressureModel();
  const ChannelModel& m = *model->Find("pressure");
  for (double hostile : kHostileValues) {
    ChannelDetector det(m, model->config);
    ASSERT_FALSE(det.inert());
    ChannelStep first = det.Step(hostile, {});
    EXPECT_TRUE(first.out_of_range) << hostile;
    EXPECT_TRUE(first.flagged) << hostile;
    EXPECT_TRUE(std::isfinite(first.error)) << hostile;
    auto live = Live(3000);
    for (std::size_t t = 0; t < live.size(); ++t) {
      ChannelStep st = det.Step(t % 200 == 0 && t < 600 ? hostile : live[t], {});
      ASSERT_TRUE(std::isfinite(st.prediction)) << hostile << " at " << t;
      ASSERT_TRUE(std::isfinite(st.error)) << hostile << " at " << t;
      ASSERT_FALSE(std::isnan(st.threshold)) << hostile << " at " << t;
    }
    EXPECT_FALSE(det.Step(live.back(), {}).out_of_range);
  }
  ChannelDetector det(m, model->config);
  ChannelStep nan = det.Step(std::numeric_limits<double>::quiet_NaN(), {});
  EXPECT_FALSE(nan.flagged);
  EXPECT_FALSE(nan.out_of_range);
  EXPECT_TRUE(std::isfinite(nan.error));
}

TEST(RobustStatsHostileTest, HugeValuesKeepMedianMadAndCusumFinite) {
  for (double hostile : kHostileValues) {
    RobustStats rs;
    rs.Update(hostile);  // in the warm-up (was narrowed to float: +inf)
    for (int t = 0; t < 200; ++t) {
      const double z = rs.Update(t % 10 == 0 ? hostile : 5.0 + 0.01 * (t % 7));
      ASSERT_TRUE(std::isfinite(z)) << hostile << " at " << t;
      ASSERT_TRUE(std::isfinite(rs.median())) << hostile << " at " << t;
      ASSERT_TRUE(std::isfinite(rs.sigma())) << hostile << " at " << t;
      ASSERT_TRUE(std::isfinite(rs.cusum())) << hostile << " at " << t;
    }
  }
}

// A model that breaks an invariant (here: a method-1 channel with a 1-value reference, which
// read and wrote past the heap) is refused by the engine: degraded, never used.
TEST(EngineHostileTest, InvalidModelRunsDegraded) {
  auto bad = std::make_shared<Model>(*PressureModel());
  ChannelModel& m = bad->channels.at("pressure");
  m.method = 1;
  m.reference = {10.0};
  Engine engine(EngineConfig{}, LimitsConfig{}, bad);
  EXPECT_TRUE(engine.degraded());
  EXPECT_NE(engine.model_status().message().find("reference"), std::string::npos)
      << engine.model_status().message();
  std::vector<ChannelValue> rec{{"pressure", 10.0}};
  EXPECT_TRUE(AllFinite(engine.Evaluate("sat-1", rec)));
  ChannelDetector det(m, bad->config);  // directly: inert, reads no vector
  EXPECT_TRUE(det.inert());
  EXPECT_FALSE(det.Step(10.0, {}).flagged);
}

}  // namespace
}  // namespace astraguard::detect

namespace astraguard::detect {
namespace {

// Online learning: the history kept for a channel without a model holds the records nobody
// flagged, minus those excluded afterwards (feedback), and asks for its fit once it is full.
TEST(EngineOnlineTest, HistorySkipsFlaggedAndExcludedRecordsAndFitIsSwappedIn) {
  std::vector<std::pair<std::string, std::string>> requests;
  EngineConfig config;
  config.online_train_steps = 400;
  config.request_training = [&](std::string_view sat, std::string_view channel) {
    requests.emplace_back(sat, channel);
    return true;
  };
  LimitsConfig limits;
  limits.channels["pressure"] = {-1e9, -1e9, 90.0, 100.0, "kPa"};
  Engine engine(config, limits, nullptr);
  const std::vector<double> series = testing::Nominal(1200, 7, 10.0, 1.0, 0.1);
  std::vector<double> expected;
  std::vector<std::int64_t> tags;
  std::size_t t = 0;
  for (; expected.size() < 400; ++t) {
    const double value = t == 50 ? 150.0 : series[t];  // 50: above red-high, flagged
    ChannelValue v{"pressure", value};
    Detection d = engine.Evaluate("sat-1", std::span<const ChannelValue>(&v, 1), 0,
                                  std::int64_t(t));
    if (t == 50) {
      EXPECT_TRUE(d.is_anomaly);
    }
    if (!d.is_anomaly) {
      expected.push_back(value);
      tags.push_back(std::int64_t(t));
    }
    EXPECT_EQ(requests.size(), expected.size() == 400 ? 1u : 0u) << t;
  }
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first, "sat-1");
  EXPECT_EQ(requests[0].second, "pressure");

  // Feedback on the nominal-looking record tagged 60 takes it out of the history.
  engine.ExcludeFromTraining("sat-1", 60);
  engine.ExcludeFromTraining("sat-2", 61);  // another satellite: no effect here
  const auto at = std::find(tags.begin(), tags.end(), 60) - tags.begin();
  ASSERT_LT(std::size_t(at), tags.size());
  expected.erase(expected.begin() + at);
  auto history = engine.NominalHistory("sat-1", "pressure");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, expected);
  EXPECT_EQ(std::count(history->begin(), history->end(), 150.0), 0);
  EXPECT_FALSE(engine.NominalHistory("sat-1", "other").ok());
  EXPECT_EQ(engine.learned_channels(), 0u);

  auto fitted = FitChannelModel("pressure", *history, {}, 0, engine.online_config());
  ASSERT_TRUE(fitted.ok()) << fitted.status().message();
  auto model = std::make_shared<const ChannelModel>(std::move(*fitted));
  EXPECT_LT(model->value_max, 90.0);
  EXPECT_TRUE(engine.FinishTraining("sat-1", "pressure", model));
  EXPECT_FALSE(engine.FinishTraining("sat-1", "pressure", model));  // already swapped in
  EXPECT_EQ(engine.learned_channels(), 1u);
  EXPECT_EQ(engine.LearnedModel("sat-1", "pressure"), model);
  EXPECT_FALSE(engine.NominalHistory("sat-1", "pressure").ok());  // history freed

  // Its anomalies are now explained by the learned predictor's residual.
  for (std::size_t warm = 0; warm < 300; ++warm, ++t) {
    ChannelValue v{"pressure", series[t]};
    EXPECT_FALSE(engine.Evaluate("sat-1", std::span<const ChannelValue>(&v, 1)).is_anomaly) << t;
  }
  bool explained = false;
  for (int k = 0; k < 20 && !explained; ++k, ++t) {
    ChannelValue v{"pressure", series[t] + 3.0};  // a level shift well inside the limits
    Detection d = engine.Evaluate("sat-1", std::span<const ChannelValue>(&v, 1));
    for (const Contribution& c : d.contributing) {
      if (d.is_anomaly && c.reason.find("residual") != std::string::npos) explained = true;
    }
  }
  EXPECT_TRUE(explained);
}

TEST(EngineOnlineTest, FailedFitLeavesRobustStatisticsAndEvictionUncountsLearned) {
  EngineConfig config;
  config.online_train_steps = 100;
  config.max_satellites = 1;
  config.shards = 1;
  config.request_training = [](std::string_view, std::string_view) { return true; };
  Engine engine(config, LimitsConfig{}, nullptr);
  const std::vector<double> series = testing::Nominal(200, 3, 10.0, 1.0, 0.1);
  for (std::size_t t = 0; t < 100; ++t) {
    std::vector<ChannelValue> rec{{"a", series[t]}, {"b", series[t] * 2}};
    engine.Evaluate("sat-1", rec);
  }
  EXPECT_FALSE(engine.FinishTraining("sat-1", "a", nullptr));  // fit failed: stays robust
  EXPECT_FALSE(engine.NominalHistory("sat-1", "a").ok());
  auto b = engine.NominalHistory("sat-1", "b");
  ASSERT_TRUE(b.ok());
  auto fitted = FitChannelModel("b", *b, {}, 0, engine.online_config());
  ASSERT_TRUE(fitted.ok());
  EXPECT_TRUE(engine.FinishTraining("sat-1", "b",
                                    std::make_shared<const ChannelModel>(std::move(*fitted))));
  EXPECT_EQ(engine.learned_channels(), 1u);
  std::vector<ChannelValue> rec{{"a", 1.0}};
  engine.Evaluate("sat-2", rec);  // evicts sat-1
  EXPECT_EQ(engine.learned_channels(), 0u);
  EXPECT_EQ(engine.LearnedModel("sat-1", "b"), nullptr);
}

TEST(EngineOnlineTest, MemoryPerChannelCountsTheHistory) {
  EngineConfig config;
  config.online_train_steps = 1000;
  config.request_training = [](std::string_view, std::string_view) { return true; };
  Engine engine(config, LimitsConfig{}, nullptr);
  EXPECT_GE(engine.MemoryBytesPerChannel(), 1000u * 16u);
  EXPECT_LT(engine.MemoryBytesPerChannel(), 1000u * 16u + 4096u);
}

}  // namespace
}  // namespace astraguard::detect
