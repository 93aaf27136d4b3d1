#include "astraguard/mission/classifier.hpp"

#include <gtest/gtest.h>

namespace astraguard::mission {
namespace {

Readings Nominal(double jitter = 0.0) {
  Readings r;
  r.Set(StdChannel::kVoltage, 28.1 + jitter);
  r.Set(StdChannel::kTemperature, 20.0 + jitter);
  r.Set(StdChannel::kGyro, 0.0004 + jitter / 1000);
  r.Set(StdChannel::kCurrent, 1.2 + jitter / 10);
  r.Set(StdChannel::kWheelSpeed, 2100 + jitter * 10);
  return r;
}

detect::Detection Det(std::vector<std::pair<std::string, double>> contribs) {
  detect::Detection d;
  d.is_anomaly = !contribs.empty();
  for (auto& [ch, s] : contribs) {
    d.contributing.push_back({ch, 0.0, s, ch + " out of limits"});
    d.anomaly_score = std::max(d.anomaly_score, s);
  }
  d.confidence = 0.9;
  return d;
}

TEST(SensorHealthTest, NoisyChannelsAreHealthy) {
  SensorCheckConfig cfg;
  SensorHealth h(cfg);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.Update(Nominal(0.01 * (i % 7))).any()) << i;
}

TEST(SensorHealthTest, FlagsStuckChannelAfterConfiguredRun) {
  SensorCheckConfig cfg;
  cfg.stuck_samples = 4;
  SensorHealth h(cfg);
  SensorSignature sig;
  for (int i = 0; i < 4; ++i) {
    Readings r = Nominal(0.01 * i);
    r.Set(StdChannel::kTemperature, 33.25);
    sig = h.Update(r);
    EXPECT_EQ(sig.any(), i == 3) << i;
  }
  EXPECT_TRUE(sig.stuck);
  EXPECT_EQ(sig.channel, StdChannel::kTemperature);
  EXPECT_EQ(sig.run, 4);
  EXPECT_EQ(sig.value, 33.25);
  // A fresh value clears it.
  EXPECT_FALSE(h.Update(Nominal(0.5)).any());
}

TEST(SensorHealthTest, ExactDuplicateRecordsAreNotStuckSensors) {
  SensorCheckConfig cfg;
  cfg.stuck_samples = 3;
  SensorHealth h(cfg);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(h.Update(Nominal()).any()) << i;
  // One channel frozen while the others move is still caught.
  for (int i = 1; i <= 3; ++i) {
    Readings r = Nominal(0.01 * i);
    r.Set(StdChannel::kCurrent, 1.5);
    EXPECT_EQ(h.Update(r).stuck, i >= 3) << i;
  }
}

TEST(SensorHealthTest, StuckDisabledWithZero) {
  SensorCheckConfig cfg;
  cfg.stuck_samples = 0;
  SensorHealth h(cfg);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(h.Update(Nominal()).any());
}

TEST(SensorHealthTest, FlagsDropoutToExactZeroAndHoldsIt) {
  SensorCheckConfig cfg;
  SensorHealth h(cfg);
  EXPECT_FALSE(h.Update(Nominal()).any());
  Readings r = Nominal(0.1);
  r.Set(StdChannel::kVoltage, 0.0);
  auto sig = h.Update(r);
  EXPECT_TRUE(sig.dropout);
  EXPECT_EQ(sig.channel, StdChannel::kVoltage);
  r = Nominal(0.2);
  r.Set(StdChannel::kVoltage, 0.0);
  EXPECT_TRUE(h.Update(r).dropout);  // still zero: still dropout (not "stuck")
  EXPECT_FALSE(h.Update(Nominal(0.3)).any());
}

TEST(SensorHealthTest, GyroZeroIsNotDropoutByDefault) {
  SensorCheckConfig cfg;
  SensorHealth h(cfg);
  (void)h.Update(Nominal());
  Readings r = Nominal(0.1);
  r.Set(StdChannel::kGyro, 0.0);
  EXPECT_FALSE(h.Update(r).any());
}

TEST(SensorHealthTest, WheelSpinDownAgainstLearnedBaseline) {
  SensorCheckConfig cfg;
  SensorHealth h(cfg);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.Update(Nominal(0.01 * (i % 5))).any());
  Readings r = Nominal();
  r.Set(StdChannel::kWheelSpeed, 700);  // > 25 % of ~2100: not yet
  EXPECT_FALSE(h.Update(r).any());
  r.Set(StdChannel::kWheelSpeed, 400);
  auto sig = h.Update(r);
  EXPECT_TRUE(sig.wheel_spin_down);
  EXPECT_FALSE(sig.sensor());
  EXPECT_NEAR(sig.wheel_baseline_rpm, 2100, 5);
  EXPECT_EQ(ClassifyFault(Det({{"gyro", 1.0}}), r, sig).type, FaultType::kWheel);
  EXPECT_EQ(ClassifyFault({}, r, sig).type, FaultType::kWheel);
  cfg.wheel_spin_down_ratio = 0;  // disabled
  SensorHealth off(cfg);
  for (int i = 0; i < 50; ++i) (void)off.Update(Nominal(0.01 * (i % 5)));
  EXPECT_FALSE(off.Update(r).any());
}

TEST(ClassifyFaultTest, ChannelGroups) {
  SensorSignature none;
  EXPECT_EQ(ClassifyFault(Det({{"voltage", 0.9}}), Nominal(), none).type, FaultType::kPower);
  EXPECT_EQ(ClassifyFault(Det({{"current", 0.6}}), Nominal(), none).type, FaultType::kPower);
  EXPECT_EQ(ClassifyFault(Det({{"temperature", 0.8}}), Nominal(), none).type, FaultType::kThermal);
  EXPECT_EQ(ClassifyFault(Det({{"gyro", 0.8}}), Nominal(), none).type, FaultType::kAttitude);
  EXPECT_EQ(ClassifyFault(Det({{"wheel_speed", 0.5}}), Nominal(), none).type, FaultType::kWheel);
}

TEST(ClassifyFaultTest, WheelExplainsCurrentAndGyro) {
  auto c =
      ClassifyFault(Det({{"gyro", 0.95}, {"current", 0.9}, {"wheel_speed", 0.5}}), Nominal(), {});
  EXPECT_EQ(c.type, FaultType::kWheel);
  EXPECT_EQ(c.channels.size(), 3u);
}

TEST(ClassifyFaultTest, HighestGroupWinsAndTiesPreferPower) {
  EXPECT_EQ(ClassifyFault(Det({{"temperature", 0.95}, {"current", 0.5}}), Nominal(), {}).type,
            FaultType::kThermal);
  EXPECT_EQ(ClassifyFault(Det({{"temperature", 0.5}, {"voltage", 0.9}}), Nominal(), {}).type,
            FaultType::kPower);
  EXPECT_EQ(ClassifyFault(Det({{"gyro", 0.7}, {"voltage", 0.7}}), Nominal(), {}).type,
            FaultType::kPower);
}

// The type follows the strongest evidence: a red-limit violation outranks any number of
// statistical excursions, whichever channels they are on.
TEST(ClassifyFaultTest, RedLimitOnVoltageIsAPowerFaultWhateverElseIsUnusual) {
  detect::Detection d = Det({{"voltage", 1.0},
                             {"wheel_speed", 0.99},
                             {"temperature", 0.98},
                             {"gyro", 0.97},
                             {"current", 0.96}});
  d.contributing[0].reason = "voltage 2 V below red-low 22 V";
  for (std::size_t i = 1; i < d.contributing.size(); ++i) {
    d.contributing[i].reason =
        d.contributing[i].channel + " residual 9.0 sigma above its dynamic threshold";
  }
  Readings r = Nominal();
  r.Set(StdChannel::kVoltage, 2.0);
  auto c = ClassifyFault(d, r, {});
  EXPECT_EQ(c.type, FaultType::kPower);
  EXPECT_EQ(c.channels.size(), 5u);  // every contributing channel is still listed

  // Even a spun-down wheel (a 2 V bus stops the wheels) does not outrank a red voltage.
  SensorSignature spun;
  spun.wheel_spin_down = true;
  EXPECT_EQ(ClassifyFault(d, r, spun).type, FaultType::kPower);

  // A statistical score that rounds to 1 is not a red limit: a red temperature outranks it.
  detect::Detection s = Det({{"voltage", 1.0}, {"temperature", 1.0}});
  s.contributing[0].reason = "voltage residual 60.0 sigma above its dynamic threshold";
  s.contributing[1].reason = "temperature 95 C above red-high 80 C";
  EXPECT_EQ(ClassifyFault(s, Nominal(), {}).type, FaultType::kThermal);
  // A wheel failing statistically with a red gyro is still the wheel (it explains the gyro).
  detect::Detection g = Det({{"gyro", 1.0}, {"wheel_speed", 0.8}, {"voltage", 0.9}});
  g.contributing[0].reason = "gyro 0.2 rad/s above red-high 0.1 rad/s";
  EXPECT_EQ(ClassifyFault(g, Nominal(), {}).type, FaultType::kWheel);

  // A red wheel_speed with only statistical voltage evidence is a wheel fault; a red voltage and
  // a red temperature: the higher tier is all red, ties prefer power.
  detect::Detection w = Det({{"wheel_speed", 1.0}, {"voltage", 0.99}});
  w.contributing[0].reason = "wheel_speed 6100 RPM above red-high 6000 RPM";
  EXPECT_EQ(ClassifyFault(w, Nominal(), {}).type, FaultType::kWheel);
  detect::Detection t = Det({{"temperature", 1.0}, {"voltage", 1.0}, {"wheel_speed", 0.99}});
  t.contributing[0].reason = "temperature 95 C above red-high 80 C";
  t.contributing[1].reason = "voltage 2 V below red-low 22 V";
  EXPECT_EQ(ClassifyFault(t, Nominal(), {}).type, FaultType::kPower);
  // Only the red temperature: thermal, not the statistically stronger-looking wheel.
  t.contributing[1].reason = "voltage residual 9.0 sigma above its dynamic threshold";
  EXPECT_EQ(ClassifyFault(t, Nominal(), {}).type, FaultType::kThermal);
}

// Without any red limit, a strong voltage/temperature excursion outranks a weak wheel one.
TEST(ClassifyFaultTest, StrongerVoltageOutranksWeakWheelEvidence) {
  EXPECT_EQ(ClassifyFault(Det({{"voltage", 0.95}, {"wheel_speed", 0.5}}), Nominal(), {}).type,
            FaultType::kPower);
  EXPECT_EQ(ClassifyFault(Det({{"temperature", 0.95}, {"wheel_speed", 0.5}}), Nominal(), {}).type,
            FaultType::kThermal);
  // ... but current and gyro are the wheel's own symptoms.
  EXPECT_EQ(
      ClassifyFault(Det({{"voltage", 0.9}, {"current", 0.95}, {"wheel_speed", 0.5}}), Nominal(), {})
          .type,
      FaultType::kWheel);
}

TEST(ClassifyFaultTest, UnknownWithoutStandardChannels) {
  EXPECT_EQ(ClassifyFault(Det({{"bus_b_voltage", 0.9}}), Nominal(), {}).type, FaultType::kUnknown);
  EXPECT_EQ(ClassifyFault(Det({}), Nominal(), {}).type, FaultType::kUnknown);
}

TEST(ClassifyFaultTest, SensorSignatureWins) {
  SensorSignature sig;
  sig.stuck = true;
  sig.channel = StdChannel::kTemperature;
  sig.run = 6;
  sig.value = 21.5;
  auto c = ClassifyFault(Det({{"temperature", 0.5}}), Nominal(), sig);
  EXPECT_EQ(c.type, FaultType::kSensor);
  EXPECT_EQ(c.reason, "temperature stuck at 21.5 for 6 samples");
}

TEST(ClassifyFaultTest, EngineStuckVerdictIsASensorFault) {
  detect::Detection d = Det({{"temperature", 0.95}});
  d.contributing[0].reason =
      "temperature stuck at 21.5 for 9 samples (longest repeat in training: 4)";
  auto c = ClassifyFault(d, Nominal(), {});
  EXPECT_EQ(c.type, FaultType::kSensor);
  EXPECT_EQ(c.channels, std::vector<std::string>{"temperature"});
}

TEST(ClassifyFaultTest, WheelZeroWithCurrentSurgeIsAStallNotADropout) {
  SensorSignature sig;
  sig.dropout = true;
  sig.channel = StdChannel::kWheelSpeed;
  EXPECT_EQ(ClassifyFault(Det({{"current", 0.95}, {"wheel_speed", 0.9}}), Nominal(), sig).type,
            FaultType::kWheel);
  // A weak current excursion does not make a dropout a stall.
  EXPECT_EQ(ClassifyFault(Det({{"current", 0.6}}), Nominal(), sig).type, FaultType::kSensor);
  EXPECT_EQ(ClassifyFault(Det({{"wheel_speed", 0.9}}), Nominal(), sig).type, FaultType::kSensor);
}

}  // namespace
}  // namespace astraguard::mission
