#include "astraguard/mission/types.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace astraguard::mission {
namespace {

TEST(SeverityTest, BandsMatchTheOriginal) {
  EXPECT_EQ(SeverityFromScore(0.0), Severity::kLow);
  EXPECT_EQ(SeverityFromScore(0.3999), Severity::kLow);
  EXPECT_EQ(SeverityFromScore(0.4), Severity::kMedium);
  EXPECT_EQ(SeverityFromScore(0.6999), Severity::kMedium);
  EXPECT_EQ(SeverityFromScore(0.7), Severity::kHigh);
  EXPECT_EQ(SeverityFromScore(0.8999), Severity::kHigh);
  EXPECT_EQ(SeverityFromScore(0.9), Severity::kCritical);
  EXPECT_EQ(SeverityFromScore(1.0), Severity::kCritical);
  EXPECT_EQ(SeverityFromScore(std::nan("")), Severity::kLow);
}

TEST(NamesTest, RoundTrip) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ParseSeverity(SeverityName(Severity(i))), Severity(i));
  for (int i = 0; i < kFaultTypeCount; ++i)
    EXPECT_EQ(ParseFaultType(FaultTypeName(FaultType(i))), FaultType(i));
  for (int i = 0; i < kActionCount; ++i) EXPECT_EQ(ParseAction(ActionName(Action(i))), Action(i));
  for (Phase p : kAllPhases) EXPECT_EQ(ParsePhase(PhaseName(p)), p);
  EXPECT_FALSE(ParsePhase("nominal_ops"));  // case-sensitive, like the original
  EXPECT_EQ(FaultTypeName(FaultType::kWheel), "wheel_fault");
  EXPECT_EQ(ActionName(Action::kDesaturateWheels), "DESATURATE_WHEELS");
}

TEST(TransitionTableTest, MatchesOriginal) {
  using P = Phase;
  const bool expected[5][5] = {
      // to: LAUNCH DEPLOY NOMINAL PAYLOAD SAFE
      {false, true, false, false, true},  // LAUNCH
      {false, false, true, false, true},  // DEPLOYMENT
      {false, false, false, true, true},  // NOMINAL_OPS
      {false, false, true, false, true},  // PAYLOAD_OPS
      {true, true, true, false, false},   // SAFE_MODE
  };
  for (int f = 0; f < 5; ++f)
    for (int t = 0; t < 5; ++t)
      EXPECT_EQ(IsAllowedTransition(P(f), P(t)), expected[f][t]) << f << "->" << t;
}

}  // namespace
}  // namespace astraguard::mission
