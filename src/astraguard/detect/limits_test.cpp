#include "astraguard/detect/limits.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace astraguard::detect {
namespace {

Detection CheckOne(const LimitChecker& checker, std::string_view name, double value) {
  Detection d;
  std::vector<ChannelValue> values{{name, value}};
  checker.Check(values, d);
  return d;
}

TEST(LimitCheckerTest, NominalValueScoresZero) {
  LimitChecker checker(DefaultLimits());
  Detection d = CheckOne(checker, "voltage", 28.0);
  EXPECT_FALSE(d.is_anomaly);
  EXPECT_EQ(d.anomaly_score, 0.0);
  EXPECT_TRUE(d.contributing.empty());
}

TEST(LimitCheckerTest, RedHighIsAnomalyWithReadableReason) {
  LimitChecker checker(DefaultLimits());
  Detection d = CheckOne(checker, "wheel_speed", 6100);
  EXPECT_TRUE(d.is_anomaly);
  EXPECT_EQ(d.anomaly_score, 1.0);
  ASSERT_EQ(d.contributing.size(), 1u);
  EXPECT_EQ(d.contributing[0].reason, "wheel_speed 6100 RPM above red-high 6000 RPM");
}

TEST(LimitCheckerTest, YellowScalesTowardsRed) {
  LimitChecker checker(DefaultLimits());
  Detection near_yellow = CheckOne(checker, "voltage", 23.9);
  Detection near_red = CheckOne(checker, "voltage", 22.1);
  EXPECT_FALSE(near_yellow.is_anomaly);
  EXPECT_FALSE(near_red.is_anomaly);
  EXPECT_GE(near_yellow.anomaly_score, 0.5);
  EXPECT_GT(near_red.anomaly_score, near_yellow.anomaly_score);
  EXPECT_LT(near_red.anomaly_score, 0.9);
  EXPECT_EQ(near_red.contributing[0].reason, "voltage 22.1 V below yellow-low 24 V");
}

TEST(LimitCheckerTest, ChannelsWithoutLimitsAreIgnored) {
  LimitChecker checker(DefaultLimits());
  Detection d = CheckOne(checker, "bus_b_temp", 1e6);
  EXPECT_FALSE(d.is_anomaly);
  EXPECT_TRUE(d.contributing.empty());
}

TEST(LimitCheckerTest, ContributionsSortedByScore) {
  LimitChecker checker(DefaultLimits());
  Detection d;
  std::vector<ChannelValue> values{{"voltage", 23.0}, {"temperature", 95.0}};
  checker.Check(values, d);
  ASSERT_EQ(d.contributing.size(), 2u);
  EXPECT_EQ(d.contributing[0].channel, "temperature");
  EXPECT_TRUE(d.is_anomaly);
}

TEST(ParseLimitsTest, ParsesEntriesWithAbsentBounds) {
  auto r = ParseLimits("bus_a:-:-:5:6:A;panel_t:-80:-60:90:110");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->channels.size(), 2u);
  EXPECT_EQ(r->channels.at("bus_a").red_high, 6.0);
  EXPECT_EQ(r->channels.at("bus_a").unit, "A");
  EXPECT_TRUE(std::isinf(r->channels.at("bus_a").red_low));
}

TEST(ParseLimitsTest, RejectsDisorderedLimitsNamingChannel) {
  auto r = ParseLimits("bus_a:1:2:10:5");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bus_a"), std::string::npos);
}

TEST(ParseLimitsTest, RejectsNonNumbers) {
  EXPECT_FALSE(ParseLimits("bus_a:x:2:3:4").ok());
  EXPECT_FALSE(ParseLimits("bus_a:1:2:3").ok());
  EXPECT_FALSE(ParseLimits("bus_a:1:2:3:inf").ok());
}

}  // namespace
}  // namespace astraguard::detect
