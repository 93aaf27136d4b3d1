#include "astraguard/detect/model.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "astraguard/detect/testing_util.hpp"

namespace astraguard::detect {
namespace {

// Recomputes the checksum after an edit: the FNV checksum only catches accidents, so a crafted
// file carries a valid one, and the structural validation has to catch it.
std::string Resealed(std::string text) {
  const std::size_t l1 = text.find('\n');
  const std::size_t l2 = text.find('\n', l1 + 1);
  const std::string body = text.substr(l2 + 1);
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(Fnv1a64(body)));
  return text.substr(0, l1 + 1) + "checksum fnv1a64 " + sum + "\n" + body;
}

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

// x_t = sin(3 x_t-1) + noise: no linear function of the past predicts it well.
std::vector<double> NonlinearProcess(std::size_t n, std::uint64_t seed) {
  testing::Normal g(seed);
  std::vector<double> v(n, 0.1);
  for (std::size_t t = 1; t < n; ++t) v[t] = std::sin(3.0 * v[t - 1]) + 0.05 * g();
  return v;
}

TEST(ChannelModelTest, ResidualNetworkLearnsWhatTheLinearPredictorCannot) {
  const auto v = NonlinearProcess(4000, 7);
  DetectorConfig linear;
  linear.lags = 4;
  DetectorConfig network = linear;
  network.mlp_hidden = 8;
  network.mlp_epochs = 20;
  auto a = FitChannelModel("x", v, {}, 0, linear);
  auto b = FitChannelModel("x", v, {}, 0, network);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE(a->mlp.empty());
  ASSERT_EQ(b->mlp.size(), 8u * 4 + 2 * 8 + 1);
  // residual_sd comes from the held-out last 20 % (fitted on the first 80 %).
  EXPECT_LT(b->residual_sd, 0.6 * a->residual_sd) << a->residual_sd << " " << b->residual_sd;
  // Deterministic: the same history gives the same network.
  auto again = FitChannelModel("x", v, {}, 0, network);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->mlp, b->mlp);
  // Live, its one-step errors on unseen data from the same process are the smaller ones.
  const auto live = NonlinearProcess(1000, 8);
  ChannelDetector da(*a, linear), db(*b, network);
  double ea = 0, eb = 0;
  for (double x : live) {
    ea += std::abs(x - da.Step(x, {}).prediction);
    eb += std::abs(x - db.Step(x, {}).prediction);
  }
  EXPECT_LT(eb, 0.6 * ea) << ea << " " << eb;
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

TEST(ChannelDetectorTest, RangeRuleFlagsTheOnsetOfASustainedExcursion) {
  DetectorConfig c;
  c.range_margin = 0.05;
  c.range_steps = 20;
  c.min_error = 1e9;  // isolate the range rule from the residual threshold
  auto train = testing::Nominal(3000, 41, 0.5, 0.4, 0.02);
  auto m = FitChannelModel("r", train, {}, 0, c);
  ASSERT_TRUE(m.ok());
  const double above = m->value_max + 0.1 * m->Range();  // beyond the 5 % margin
  ChannelDetector det(*m, c);
  for (int t = 0; t < 400; ++t) EXPECT_FALSE(det.Step(train[t], {}).flagged) << t;
  std::vector<int> flagged;
  for (int t = 0; t < 60; ++t) {
    if (det.Step(above + 0.001 * (t % 3), {}).flagged) flagged.push_back(t);
  }
  // Once, at the 20th consecutive step outside: the onset opens an alarm (held for `hold`),
  // a value that stays outside does not keep it open.
  EXPECT_EQ(flagged, std::vector<int>{19});
  // Short excursions are ignored; a value inside the margin is not outside.
  ChannelDetector brief(*m, c);
  for (int t = 0; t < 400; ++t) (void)brief.Step(train[t], {});
  for (int t = 0; t < 200; ++t) {
    const double v = t % 20 < 19 ? above : train[t];
    EXPECT_FALSE(brief.Step(v, {}).outside) << t;
  }
  for (int t = 0; t < 50; ++t) {
    EXPECT_FALSE(brief.Step(m->value_max + 0.04 * m->Range(), {}).outside) << t;
  }
  // range_steps 0 disables it.
  DetectorConfig off;
  off.min_error = 1e9;
  off.range_steps = 0;
  ChannelDetector none(*m, off);
  for (int t = 0; t < 400; ++t) (void)none.Step(train[t], {});
  for (int t = 0; t < 60; ++t) EXPECT_FALSE(none.Step(above, {}).outside);
}

// Train: a sinusoid with noise sd 0.02; live: the same, with the noise 5x larger from step 600.
TEST(ChannelDetectorTest, VariabilityRuleFlagsTheOnsetOfARiseInStepToStepChange) {
  DetectorConfig c;
  c.var_factor = 2;
  c.var_smoothing = 0.005;
  c.min_error = 1e9;  // isolate the variability rule from the residual threshold
  c.range_steps = 0;  // and from the range rule
  auto train = testing::Nominal(3000, 51, 0.5, 0.3, 0.02);
  auto m = FitChannelModel("v", train, {}, 0, c);
  ASSERT_TRUE(m.ok());
  // Learned from the train array alone: the largest EWMA of |x_t - x_t-1| over it.
  double ewma = 0.0, largest = 0.0;
  for (std::size_t t = 1; t < train.size(); ++t) {
    ewma = 0.005 * std::abs(train[t] - train[t - 1]) + 0.995 * ewma;
    largest = std::max(largest, ewma);
  }
  EXPECT_DOUBLE_EQ(m->var_max, largest);
  auto noisier = testing::Nominal(3000, 51, 0.5, 0.3, 0.1);
  auto louder = FitChannelModel("v", noisier, {}, 0, c);
  ASSERT_TRUE(louder.ok());
  EXPECT_GT(louder->var_max, 3 * m->var_max);

  auto nominal = testing::Nominal(1600, 52, 0.5, 0.3, 0.02, 90.0, 3000);
  auto rough = testing::Nominal(1600, 52, 0.5, 0.3, 0.1, 90.0, 3000);
  ChannelDetector det(*m, c);
  std::vector<int> flagged;
  for (int t = 0; t < 1600; ++t) {
    const ChannelStep st = det.Step(t < 600 ? nominal[t] : rough[t], {});
    EXPECT_EQ(st.flagged, st.variable) << t;
    if (st.variable) flagged.push_back(t);
  }
  // Once, shortly after the rise (the moving mean needs ~1/0.005 steps to climb); the rise
  // that persists does not flag again.
  ASSERT_EQ(flagged.size(), 1u);
  EXPECT_GE(flagged[0], 600);
  EXPECT_LE(flagged[0], 800);
  // Silent on nominal data it never saw (another noise draw, 5,000 steps).
  ChannelDetector quiet(*m, c);
  for (double v : testing::Nominal(5000, 53, 0.5, 0.3, 0.02, 90.0, 3000)) {
    EXPECT_FALSE(quiet.Step(v, {}).variable);
  }
  // var_factor 0 disables it.
  DetectorConfig off = c;
  off.var_factor = 0;
  ChannelDetector none(*m, off);
  for (int t = 0; t < 1600; ++t) {
    EXPECT_FALSE(none.Step(t < 600 ? nominal[t] : rough[t], {}).variable) << t;
  }
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
  EXPECT_GT(a->var_max, 0.0);
  EXPECT_EQ(a->var_max, b->var_max);
}

TEST(ModelTest, VariabilitySettingsRoundTripAndOlderFilesLoadWithTheRuleOff) {
  Model m = TrainedModel();
  m.config.var_factor = 2.5;
  m.config.var_smoothing = 0.004;
  auto back = Model::Parse(m.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->config.var_factor, 2.5);
  EXPECT_EQ(back->config.var_smoothing, 0.004);
  // A file written before the rule existed has no var_max: it loads, with the rule silent.
  std::string old = m.Serialize();
  const std::size_t at = old.find(" var_max ");
  ASSERT_NE(at, std::string::npos);
  old.erase(at, old.find('\n', at) - at);
  auto older = Model::Parse(Resealed(old));
  ASSERT_TRUE(older.ok()) << older.status().message();
  EXPECT_EQ(older->Find("voltage")->var_max, 0.0);
}

TEST(ModelTest, ResidualNetworkRoundTripsAndOlderFilesLoadWithout) {
  DetectorConfig c;
  c.lags = 4;
  c.mlp_hidden = 4;
  c.mlp_lags = 3;
  c.mlp_epochs = 2;
  Model m;
  m.config = c;
  auto fitted = FitChannelModel("x", NonlinearProcess(2000, 9), {}, 0, c);
  ASSERT_TRUE(fitted.ok());
  m.channels.emplace("x", std::move(*fitted));
  auto back = Model::Parse(m.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  const ChannelModel* a = m.Find("x");
  const ChannelModel* b = back->Find("x");
  EXPECT_EQ(back->config.mlp_hidden, 4);
  EXPECT_EQ(back->config.mlp_lags, 3);
  EXPECT_EQ(back->config.mlp_epochs, 2);
  EXPECT_EQ(b->mlp_hidden, 4);
  EXPECT_EQ(b->mlp_lags, 3);
  EXPECT_EQ(a->mlp_mean, b->mlp_mean);
  EXPECT_EQ(a->mlp_scale, b->mlp_scale);
  ASSERT_EQ(a->mlp.size(), 4u * 3 + 2 * 4 + 1);
  EXPECT_EQ(a->mlp, b->mlp);
  // A file written before the network existed has no mlp line: it loads without one.
  std::string old = TrainedModel().Serialize();
  const std::size_t at = old.find("\nmlp ");
  ASSERT_NE(at, std::string::npos);
  old.erase(at, old.find('\n', at + 1) - at);
  auto older = Model::Parse(Resealed(old));
  ASSERT_TRUE(older.ok()) << older.status().message();
  EXPECT_TRUE(older->Find("voltage")->mlp.empty());
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

namespace astraguard::detect {
namespace {

// Replaces the first token starting with `prefix` (up to the next space or newline) by `to`.
std::string ReplaceToken(std::string text, const std::string& prefix, const std::string& to) {
  const std::size_t at = text.find(prefix);
  EXPECT_NE(at, std::string::npos) << prefix;
  if (at == std::string::npos) return text;
  const std::size_t end = text.find_first_of(" \n", at + prefix.size());
  return text.replace(at, end - at, to);
}

// Replaces the whole line that starts with `start`.
std::string ReplaceLine(std::string text, const std::string& start, const std::string& to) {
  const std::size_t at = text.find("\n" + start);
  EXPECT_NE(at, std::string::npos) << start;
  if (at == std::string::npos) return text;
  const std::size_t end = text.find('\n', at + 1);
  return text.replace(at + 1, end - at - 1, to);
}

struct Crafted {
  const char* what;
  std::string text;
  const char* expect;  // substring of the error message
};

std::vector<Crafted> CraftedModels() {
  const std::string good = TrainedModel().Serialize();
  std::string reference100 = "reference 100";
  for (int i = 0; i < 100; ++i) reference100 += " 28." + std::to_string(i);
  std::vector<Crafted> c;
  c.push_back(
      {"method 1 with a 1-value reference",
       ReplaceLine(ReplaceToken(good, "method 0", "method 1"), "reference", "reference 1 28"),
       "reference"});
  c.push_back({"discord_length 1e6",
               ReplaceLine(ReplaceToken(ReplaceToken(good, "method 0", "method 1"),
                                        "discord_length=", "discord_length=1000000"),
                           "reference", reference100),
               "discord_length"});
  c.push_back({"window 1e9", ReplaceToken(good, "window=", "window=1000000000"), "window"});
  c.push_back({"z_step 0", ReplaceToken(good, "z_step=", "z_step=0"), "z_step"});
  c.push_back({"smoothing 5", ReplaceToken(good, "smoothing=", "smoothing=5"), "smoothing"});
  c.push_back({"NaN min", ReplaceToken(good, "min ", "min nan"), "min"});
  c.push_back({"NaN max", ReplaceToken(good, "max ", "max nan"), "max"});
  c.push_back({"min above max", ReplaceToken(good, "min ", "min 1e9"), "max"});
  c.push_back(
      {"NaN residual_sd", ReplaceToken(good, "residual_sd ", "residual_sd nan"), "residual_sd"});
  c.push_back({"infinite last", ReplaceToken(good, "last ", "last inf"), "last"});
  c.push_back({"NaN max_run", ReplaceToken(good, "max_run ", "max_run nan"), "max_run"});
  c.push_back({"1e300 max_run", ReplaceToken(good, "max_run ", "max_run 1e300"), "max_run"});
  c.push_back({"fractional max_run", ReplaceToken(good, "max_run ", "max_run 1.5"), "max_run"});
  c.push_back({"negative var_max", ReplaceToken(good, "var_max ", "var_max -1"), "var_max"});
  c.push_back({"NaN var_max", ReplaceToken(good, "var_max ", "var_max nan"), "voltage"});
  c.push_back({"token after var_max", ReplaceToken(good, "var_max ", "var_max 0.1 x"), "voltage"});
  c.push_back({"var_smoothing 0", ReplaceToken(good, "var_smoothing=", "var_smoothing=0"),
               "var_smoothing"});
  c.push_back({"var_factor -1", ReplaceToken(good, "var_factor=", "var_factor=-1"), "var_factor"});
  c.push_back({"mlp units without weights", ReplaceLine(good, "mlp", "mlp 4 3 0 1 0"), "mlp"});
  c.push_back({"mlp weight count", ReplaceLine(good, "mlp", "mlp 1 1 0 1 2 0.5 0.5"), "mlp"});
  std::string mlp31 = "mlp 1 31 0 1 34";  // 1 unit on 31 inputs: 34 weights, lags is 30
  for (int i = 0; i < 34; ++i) mlp31 += " 0";
  c.push_back({"mlp on more inputs than lags", ReplaceLine(good, "mlp", mlp31), "mlp"});
  c.push_back({"1e300 mlp weight", ReplaceLine(good, "mlp", "mlp 1 1 0 1 4 1e300 0 0 0"), "mlp"});
  c.push_back({"NaN mlp weight", ReplaceLine(good, "mlp", "mlp 1 1 0 1 4 nan 0 0 0"), "mlp"});
  c.push_back({"zero mlp scale", ReplaceLine(good, "mlp", "mlp 1 1 0 0 4 0 0 0 0"), "mlp"});
  c.push_back(
      {"mlp count the line cannot hold", ReplaceLine(good, "mlp", "mlp 1 1 0 1 99999"), "voltage"});
  c.push_back({"mlp_hidden 65", ReplaceToken(good, "mlp_hidden=", "mlp_hidden=65"), "mlp_hidden"});
  c.push_back({"1e300 prime error (float narrowing)",
               ReplaceLine(good, "prime", "prime 2 0.1 1e300"), "voltage"});
  c.push_back({"negative prime error", ReplaceLine(good, "prime", "prime 2 0.1 -1"), "prime"});
  c.push_back(
      {"prime count without values", ReplaceLine(good, "prime", "prime 100000"), "voltage"});
  c.push_back({"reference on a method 0 channel", ReplaceLine(good, "reference", reference100),
               "reference"});
  c.push_back({"1e300 in the tail", ReplaceToken(good, "tail ", "tail 1e300"), "tail"});
  c.push_back({"lags 1e6", ReplaceToken(good, "lags 30", "lags 1000000"), "voltage"});
  c.push_back({"duplicate channel", good + good.substr(good.find("channel voltage")), "twice"});
  return c;
}

TEST(ModelHostileTest, CraftedModelsAreErrorsNamingChannelAndField) {
  for (const Crafted& c : CraftedModels()) {
    const std::string text = Resealed(c.text);
    ASSERT_NE(text, Resealed(TrainedModel().Serialize())) << c.what << ": the edit did nothing";
    auto m = Model::Parse(text);
    ASSERT_FALSE(m.ok()) << c.what;
    EXPECT_EQ(m.status().code(), Code::kInvalidArgument) << c.what;
    EXPECT_NE(m.status().message().find(c.expect), std::string::npos)
        << c.what << ": " << m.status().message();
  }
}

TEST(ModelHostileTest, ValidationNamesTheChannel) {
  auto m = Model::Parse(Resealed(ReplaceToken(TrainedModel().Serialize(), "min ", "min nan")));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("channel voltage: min"), std::string::npos)
      << m.status().message();
}

TEST(ModelHostileTest, ResealedUnchangedModelStillLoads) {
  auto m = Model::Parse(Resealed(TrainedModel().Serialize()));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->Validate().ok());
}

TEST(ModelHostileTest, LoadRefusesDevicesWithoutReading) {
  // Pointing ASTRAGUARD_MODEL at /dev/zero read until 4 GB of RSS.
  auto z = Model::Load("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), Code::kInvalidArgument);
  EXPECT_NE(z.status().message().find("not a regular file"), std::string::npos);
  EXPECT_FALSE(Model::Load("/tmp").ok());  // a directory
}

TEST(ModelHostileTest, LoadDoesNotBlockOnAFifo) {
  const auto path =
      std::filesystem::temp_directory_path() / ("ag_model_fifo_" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto f = Model::Load(path.string());  // no writer: a blocking open would hang here
  std::filesystem::remove(path);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not a regular file"), std::string::npos);
}

TEST(ModelHostileTest, LoadRefusesFilesOverTheCap) {
  const auto path =
      std::filesystem::temp_directory_path() / ("ag_model_big_" + std::to_string(::getpid()));
  { std::ofstream(path.string()) << "astraguard-model 1\n"; }
  std::filesystem::resize_file(path, Model::kMaxFileBytes + 1);  // sparse: no disk used
  auto big = Model::Load(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos)
      << big.status().message();
}

}  // namespace
}  // namespace astraguard::detect
