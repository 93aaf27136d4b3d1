#include "astraguard/detect/model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "astraguard/detect/testing_util.hpp"

namespace astraguard::detect {
namespace {

Model TrainedModel() {
  DetectorConfig c;
  Model m;
  m.config = c;
  auto v = testing::Nominal(3000, 11);
  auto fitted = FitChannelModel("voltage", v, {}, 0, c);
  EXPECT_TRUE(fitted.ok());
  m.channels.emplace("voltage", std::move(*fitted));
  return m;
}

TEST(ChannelModelTest, LearnsAnAutoregressiveProcess) {
  testing::Normal g(5);
  std::vector<double> v(5000);
  for (std::size_t t = 1; t < v.size(); ++t) v[t] = 0.8 * v[t - 1] + 0.1 * g();
  DetectorConfig c;
  c.lags = 2;
  c.ridge = 1e-8;
  auto m = FitChannelModel("x", v, {}, 0, c);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m->weights[0], 0.8, 0.05);
  EXPECT_NEAR(m->weights[1], 0.0, 0.05);
  EXPECT_NEAR(m->residual_sd, 0.1, 0.01);
}

TEST(ChannelDetectorTest, StuckRuleUsesTheLongestRepeatInTraining) {
  // Training: a value quantised so that it repeats for up to 12 steps.
  testing::Normal g(21);
  std::vector<double> train;
  for (int block = 0; train.size() < 3000; ++block) {
    const double level = (block % 5) + 0.01 * g();  // differs from the previous block
    for (int k = 0; k < 4 + block % 9; ++k) train.push_back(level);  // runs of 4..12
  }
  DetectorConfig c;
  auto m = FitChannelModel("q", train, {}, 0, c);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->max_run, 12);
  ChannelDetector det(*m, c);
  for (int t = 0; t < 400; ++t) det.Step(train[t], {});  // past the warm-up
  std::int64_t first_stuck = -1;
  for (int t = 0; t < 60; ++t) {  // stuck at one value: flagged after 2 x 12 = 24 repeats
    ChannelStep st = det.Step(3.0, {});
    if (st.stuck && first_stuck < 0) first_stuck = t;
  }
  EXPECT_EQ(first_stuck, 24);
}

TEST(ChannelDetectorTest, DecisionsNeverDependOnFutureSteps) {
  DetectorConfig c;
  auto m = FitChannelModel("v", testing::Nominal(3000, 31), {}, 0, c);
  ASSERT_TRUE(m.ok());
  auto live = testing::Nominal(3000, 32, 28.0, 1.0, 0.1, 90.0, 3000);
  for (std::size_t t = 1200; t < 1300; ++t) live[t] += 2.0;
  auto run = [&](std::size_t n) {
    ChannelDetector det(*m, c);
    std::vector<ChannelStep> out;
    for (std::size_t t = 0; t < n; ++t) out.push_back(det.Step(live[t], {}));
    return out;
  };
  auto full = run(live.size());
  auto prefix = run(1250);
  int flagged = 0;
  for (std::size_t t = 0; t < prefix.size(); ++t) {
    ASSERT_EQ(prefix[t].flagged, full[t].flagged) << t;
    ASSERT_EQ(prefix[t].error, full[t].error) << t;
    ASSERT_EQ(prefix[t].threshold, full[t].threshold) << t;
    flagged += prefix[t].flagged;
  }
  EXPECT_GT(flagged, 0);  // the shift at 1200 is seen before the cut
}

TEST(ChannelModelTest, TooShortHistoryIsAnError) {
  std::vector<double> v(12, 1.0);
  EXPECT_FALSE(FitChannelModel("x", v, {}, 0, DetectorConfig{}).ok());
}

TEST(ModelTest, RoundTripsThroughText) {
  Model m = TrainedModel();
  auto back = Model::Parse(m.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  const ChannelModel* a = m.Find("voltage");
  const ChannelModel* b = back->Find("voltage");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->weights, b->weights);
  EXPECT_EQ(a->tail, b->tail);
  EXPECT_EQ(a->prime_errors, b->prime_errors);
  EXPECT_EQ(back->config.lags, m.config.lags);
  EXPECT_EQ(back->config.threshold.window, m.config.threshold.window);
}

TEST(ModelTest, DiscordModelRoundTripsAndDetectsNovelShape) {
  DetectorConfig c;
  c.method = 1;
  c.discord_length = 16;
  auto v = testing::Nominal(2000, 9);
  auto fitted = FitChannelModel("v", v, {}, 0, c);
  ASSERT_TRUE(fitted.ok()) << fitted.status().message();
  Model m;
  m.config = c;
  m.channels.emplace("v", std::move(*fitted));
  auto back = Model::Parse(m.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Find("v")->reference, m.Find("v")->reference);
  EXPECT_EQ(back->config.discord_length, 16);
  ChannelDetector det(*back->Find("v"), back->config);
  auto live = testing::Nominal(1500, 10, 28.0, 1.0, 0.1, 90.0, 2000);
  for (std::size_t t = 1000; t < 1100; ++t) live[t] = 28.0 + 0.5 * ((t / 5) % 2 ? 1 : -1);
  std::int64_t first = -1;
  for (std::size_t t = 0; t < live.size(); ++t) {
    if (det.Step(live[t], {}).flagged && first < 0) first = static_cast<std::int64_t>(t);
  }
  EXPECT_GE(first, 1000);
  EXPECT_LT(first, 1100);
}

TEST(ModelTest, ModifiedByteFailsChecksum) {
  std::string text = TrainedModel().Serialize();
  text[text.size() / 2] = text[text.size() / 2] == '1' ? '2' : '1';
  auto back = Model::Parse(text);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("checksum"), std::string::npos);
}

TEST(ModelTest, TruncatedAndWrongVersionAreErrors) {
  std::string text = TrainedModel().Serialize();
  EXPECT_FALSE(Model::Parse(text.substr(0, text.size() / 3)).ok());
  std::string v2 = text;
  v2.replace(v2.find(" 1\n"), 3, " 2\n");
  auto back = Model::Parse(v2);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("version 2"), std::string::npos);
  EXPECT_FALSE(Model::Parse("").ok());
}

TEST(ModelTest, SaveLoadAndMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "ag_model_test.model";
  Model m = TrainedModel();
  ASSERT_TRUE(m.Save(path.string()).ok());
  auto back = Model::Load(path.string());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->channels.size(), 1u);
  std::filesystem::remove(path);
  auto missing = Model::Load(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace astraguard::detect
