#include "astraguard/sim/satellite.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace astraguard::sim {
namespace {

constexpr int64_t kEpoch = 1'767'225'600'000;

struct Extremes {
  double v_min = 1e9, v_max = -1e9, t_min = 1e9, t_max = -1e9, g_max = 0, i_min = 1e9, i_max = -1e9,
         w_min = 1e9, w_max = -1e9;
  int eclipse = 0, n = 0;
  void Add(const Record& r) {
    v_min = std::min(v_min, r.voltage);
    v_max = std::max(v_max, r.voltage);
    t_min = std::min(t_min, r.temperature);
    t_max = std::max(t_max, r.temperature);
    g_max = std::max(g_max, std::abs(r.gyro));
    i_min = std::min(i_min, r.current);
    i_max = std::max(i_max, r.current);
    w_min = std::min(w_min, r.wheel_speed);
    w_max = std::max(w_max, r.wheel_speed);
    eclipse += r.in_eclipse;
    ++n;
  }
};

Extremes RunFault(FaultKind kind, Channel ch = Channel::kTemperature, uint64_t seed = 7) {
  SatelliteModel m("SAT-001", seed, ModelParams{}, kEpoch);
  m.AddFault({kind, 3000.0, 900.0, ch});
  for (int i = 0; i < 300; ++i) m.Step(10.0);  // nominal until t = 3000 s
  Extremes e;
  for (int i = 0; i < 89; ++i) {
    Record r = m.Step(10.0);
    EXPECT_EQ(r.fault, kind) << r.t_s;
    e.Add(r);
  }
  return e;
}

TEST(SatelliteModelTest, SameSeedGivesIdenticalRecords) {
  SatelliteModel a("SAT-001", 99, ModelParams{}, kEpoch), b("SAT-001", 99, ModelParams{}, kEpoch);
  for (int i = 0; i < 500; ++i) {
    Record ra = a.Step(10), rb = b.Step(10);
    ASSERT_EQ(ra.voltage, rb.voltage);
    ASSERT_EQ(ra.gyro, rb.gyro);
    ASSERT_EQ(ra.wheel_speed, rb.wheel_speed);
    ASSERT_EQ(ra.timestamp_ms, rb.timestamp_ms);
  }
}

TEST(SatelliteModelTest, DifferentSeedsDiffer) {
  SatelliteModel a("SAT-001", 1, ModelParams{}, kEpoch), b("SAT-001", 2, ModelParams{}, kEpoch);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.Step(10).gyro == b.Step(10).gyro;
  EXPECT_LT(same, 5);
}

TEST(SatelliteModelTest, NominalOrbitStaysInNominalRanges) {
  SatelliteModel m("SAT-001", 3, ModelParams{}, kEpoch);
  Extremes e;
  for (int i = 0; i < 5700 * 3 / 10; ++i) e.Add(m.Step(10));  // three orbits
  EXPECT_GT(e.v_min, 27.0);
  EXPECT_LT(e.v_max, 29.6);
  EXPECT_GT(e.t_min, 2.0);
  EXPECT_LT(e.t_max, 32.0);
  EXPECT_LT(e.g_max, 0.01);
  EXPECT_GT(e.i_min, 0.8);
  EXPECT_LT(e.i_max, 2.2);
  EXPECT_GT(e.w_min, 1500);
  EXPECT_LT(e.w_max, 2900);
  // Eclipse share close to the configured 36 %.
  EXPECT_NEAR(static_cast<double>(e.eclipse) / e.n, 0.36, 0.02);
}

TEST(SatelliteModelTest, TimestampsAdvanceWithSimulatedTime) {
  SatelliteModel m("SAT-001", 3, ModelParams{}, kEpoch);
  EXPECT_EQ(m.Step(10).timestamp_ms, kEpoch + 10'000);
  EXPECT_EQ(m.Step(0.5).timestamp_ms, kEpoch + 10'500);
  EXPECT_EQ(FormatTimestamp(kEpoch + 10'500), "2026-01-01T00:00:10.500Z");
}

TEST(SatelliteFaultTest, BrownoutSagsVoltageAndSurgesCurrent) {
  Extremes e = RunFault(FaultKind::kPowerBrownout);
  EXPECT_LT(e.v_min, 24.0);
  EXPECT_GT(e.i_max, 4.0);
}

TEST(SatelliteFaultTest, BatteryDegradationLowersVoltage) {
  Extremes e = RunFault(FaultKind::kBatteryDegradation);
  EXPECT_LT(e.v_min, 24.5);
  EXPECT_LT(e.i_max, 2.5);
}

TEST(SatelliteFaultTest, ThermalRunawayHeatsUp) {
  Extremes e = RunFault(FaultKind::kThermalRunaway);
  EXPECT_GT(e.t_max, 60.0);
}

TEST(SatelliteFaultTest, LongThermalRunawaySaturatesAtTheSensorRange) {
  // Regression (make soak): a long runaway read above 150 C, which the API refuses.
  SatelliteModel m("SAT-001", 7, ModelParams{}, kEpoch);
  m.AddFault({FaultKind::kThermalRunaway, 100.0, 50000.0, Channel::kTemperature});
  Extremes e;
  for (int i = 0; i < 5000; ++i) e.Add(m.Step(10.0));
  EXPECT_GT(e.t_max, 140.0);
  EXPECT_LE(e.t_max, 150.0);
}

TEST(SatelliteFaultTest, GyroDriftRampsBias) {
  Extremes e = RunFault(FaultKind::kGyroDrift);
  EXPECT_GT(e.g_max, 0.15);
}

TEST(SatelliteFaultTest, GyroSpikesAreLarge) {
  Extremes e = RunFault(FaultKind::kGyroSpike);
  EXPECT_GT(e.g_max, 0.25);
}

TEST(SatelliteFaultTest, WheelFrictionSlowsWheelAndDrawsCurrent) {
  Extremes e = RunFault(FaultKind::kWheelFriction);
  EXPECT_LT(e.w_min, 800.0);
  EXPECT_GT(e.i_max, 1.8);
}

TEST(SatelliteFaultTest, WheelStallStopsWheelAndLosesAttitude) {
  Extremes e = RunFault(FaultKind::kWheelStall);
  EXPECT_LT(e.w_min, 10.0);
  EXPECT_GT(e.g_max, 0.1);
}

TEST(SatelliteFaultTest, StuckSensorRepeatsExactly) {
  SatelliteModel m("SAT-001", 5, ModelParams{}, kEpoch);
  m.AddFault({FaultKind::kSensorStuck, 100.0, 200.0, Channel::kVoltage});
  for (int i = 0; i < 10; ++i) m.Step(10);
  const double frozen = m.Step(10).voltage;  // t = 110: first stuck sample
  for (int i = 0; i < 10; ++i) {
    Record r = m.Step(10);
    EXPECT_EQ(r.voltage, frozen);
    EXPECT_EQ(r.fault_channel, Channel::kVoltage);
  }
}

TEST(SatelliteFaultTest, DropoutReadsZero) {
  SatelliteModel m("SAT-001", 5, ModelParams{}, kEpoch);
  m.AddFault({FaultKind::kSensorDropout, 100.0, 200.0, Channel::kWheelSpeed});
  for (int i = 0; i < 9; ++i) EXPECT_GT(m.Step(10).wheel_speed, 1000);
  Record r = m.Step(10);
  EXPECT_EQ(r.wheel_speed, 0.0);
  EXPECT_EQ(r.fault, FaultKind::kSensorDropout);
}

TEST(SatelliteFaultTest, NamesRoundTripAndMapToExpectedTypes) {
  for (FaultKind k : kAllFaultKinds) {
    EXPECT_EQ(ParseFaultKind(FaultKindName(k)), k);
    EXPECT_NE(ExpectedAnomalyType(k), "normal");
  }
  EXPECT_EQ(ExpectedAnomalyType(FaultKind::kWheelStall), "wheel_fault");
  EXPECT_EQ(ExpectedAnomalyType(FaultKind::kSensorDropout), "sensor_fault");
  EXPECT_FALSE(ParseFaultKind("meteor"));
}

}  // namespace
}  // namespace astraguard::sim
