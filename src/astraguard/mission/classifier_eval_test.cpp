// Evaluates fault classification end to end against the simulator's ground-truth labels:
// simulated fault in -> detection -> mission::Service (sensor signatures, classification,
// policy) -> type and action out. Prints the confusion matrix (truth rows x predicted columns)
// and the nominal false-alarm rate; asserts minimum per-class recall and precision.
//
// Detection is the service's real detect::LimitChecker, run with the smallsat limits below and
// with the shipped DefaultLimits(); the classifier only sees the Detection, as in production.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "astraguard/detect/engine.hpp"
#include "astraguard/detect/limits.hpp"
#include "astraguard/detect/model.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/sim/fleet.hpp"

namespace astraguard::mission {
namespace {

// Limits for the simulator's 28 V smallsat (pass the same string as ASTRAGUARD_LIMITS / --limits
// when the service is fed by `astraguard simulate`). The shipped DefaultLimits() are wider
// (generic 28 V bus, no low wheel-speed limit); both are evaluated below.
constexpr const char* kSmallsatLimits =
    "voltage:24.5:26:30.5:32:V;temperature:-15:-5:40:55:C;gyro:-0.1:-0.02:0.02:0.1:rad/s;"
    "current:-:-:2.6:4:A;wheel_speed:300:1000:5000:6000:RPM";

using DetectFn = std::function<detect::Detection(const sim::Record&)>;
// Makes a fresh detector (with fresh per-satellite state) for one episode.
using DetectorFactory = std::function<DetectFn()>;

detect::Detection Detect(const detect::LimitChecker& limits, const sim::Record& r) {
  const detect::ChannelValue values[] = {{"voltage", r.voltage},
                                         {"temperature", r.temperature},
                                         {"gyro", r.gyro},
                                         {"current", r.current},
                                         {"wheel_speed", r.wheel_speed}};
  detect::Detection d;
  limits.Check(values, d);
  return d;
}

// The service's production detector: the streaming Engine with the default model trained from
// nominal simulator data (build/models/default.model) and the shipped default limits.
DetectFn EngineDetector(std::shared_ptr<const detect::Model> model) {
  auto engine = std::make_shared<detect::Engine>(detect::EngineConfig{}, detect::DefaultLimits(),
                                                 std::move(model));
  return [engine](const sim::Record& r) {
    const detect::ChannelValue values[] = {{"voltage", r.voltage},
                                           {"temperature", r.temperature},
                                           {"gyro", r.gyro},
                                           {"current", r.current},
                                           {"wheel_speed", r.wheel_speed}};
    return engine->Evaluate(r.satellite_id, values);
  };
}

Readings ToReadings(const sim::Record& r) {
  Readings x;
  x.Set(StdChannel::kVoltage, r.voltage);
  x.Set(StdChannel::kTemperature, r.temperature);
  x.Set(StdChannel::kGyro, r.gyro);
  x.Set(StdChannel::kCurrent, r.current);
  x.Set(StdChannel::kWheelSpeed, r.wheel_speed);
  return x;
}

// Row 6 holds nominal-labelled records in the 300 s after a fault episode ended, while the
// physics is still recovering (a hot deck cooling down, a wheel spinning back up).
constexpr const char* kTruth[] = {"normal",      "power_fault",  "thermal_fault", "attitude_fault",
                                  "wheel_fault", "sensor_fault", "after_fault"};
constexpr const char* kPred[] = {"(none)",      "power_fault",  "thermal_fault", "attitude_fault",
                                 "wheel_fault", "sensor_fault", "unknown"};

int TruthIndex(std::string_view t) {
  for (int i = 0; i < 7; ++i)
    if (t == kTruth[i]) return i;
  return 0;
}
int PredIndex(const Assessment& a) {
  if (!a.is_anomaly) return 0;
  return 1 + static_cast<int>(a.type);  // FaultType order matches kPred[1..6]
}

class ClassifierEval : public ::testing::Test {
 protected:
  ClassifierEval() {
    auto p = ParsePolicyYaml(DefaultPolicyYaml());
    EXPECT_TRUE(p.ok());
    policy_ = *p;
    auto l = detect::ParseLimits(kSmallsatLimits);
    EXPECT_TRUE(l.ok()) << l.status().message();
    smallsat_ = std::make_unique<detect::LimitChecker>(*l);
    defaults_ = std::make_unique<detect::LimitChecker>(detect::DefaultLimits());
    auto m = detect::Model::Load(AG_DEFAULT_MODEL);
    EXPECT_TRUE(m.ok()) << m.status().message();
    if (m.ok()) model_ = std::make_shared<const detect::Model>(std::move(*m));
  }
  // Runs one satellite with one fault episode; accumulates into matrix_.
  DetectorFactory Limits(const detect::LimitChecker& limits) {
    return [&limits] {
      return DetectFn([&limits](const sim::Record& r) { return Detect(limits, r); });
    };
  }
  DetectorFactory Engine() {
    return [this] { return EngineDetector(model_); };
  }
  void RunEpisode(const DetectorFactory& factory, uint64_t seed, sim::FaultKind kind,
                  sim::Channel ch) {
    DetectFn detect = factory();
    storage::InMemoryAnomalyStore store(10000);
    prometheus::Registry reg;
    MissionMetrics metrics(reg);
    Service service(policy_, store, clock_, metrics);
    sim::FleetConfig c;
    c.satellites = 1;
    c.seed = seed;
    c.faults.push_back({0, {kind, 1800.0, 900.0, ch}});
    sim::Fleet fleet(c);
    for (int i = 0; i < 300; ++i) {  // 3000 s: 1800 nominal, 900 fault, 300 recovery
      sim::Record r = fleet.Tick()[0];
      clock_.Advance(std::chrono::seconds(10));  // the feed arrives in real time
      Assessment a = service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, detect(r));
      int t = TruthIndex(sim::ExpectedAnomalyType(r.fault));
      if (t == 0 && r.t_s >= 2700.0) t = 6;
      matrix_[t][PredIndex(a)]++;
      if (a.is_anomaly && t != 0 && t != 6) {
        actions_[std::string(kTruth[t])][std::string(ActionName(a.action))]++;
      }
    }
  }

  void RunAll(const DetectorFactory& limits) {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      for (sim::FaultKind k : sim::kAllFaultKinds) {
        if (k == sim::FaultKind::kSensorStuck || k == sim::FaultKind::kSensorDropout) {
          for (int ch = 0; ch < 5; ++ch) RunEpisode(limits, seed, k, static_cast<sim::Channel>(ch));
        } else {
          RunEpisode(limits, seed, k, sim::Channel::kTemperature);
        }
      }
    }
  }
  void Print(const char* title);

  FakeClock clock_;
  PolicySet policy_;
  std::unique_ptr<detect::LimitChecker> smallsat_, defaults_;
  std::shared_ptr<const detect::Model> model_;
  long matrix_[7][7] = {};
  std::map<std::string, std::map<std::string, int>> actions_;
};

void ClassifierEval::Print(const char* title) {
  std::printf("\n== %s ==", title);
  std::printf("\nConfusion matrix (rows: ground truth per record; columns: service verdict)\n");
  std::printf("%-15s", "truth \\ pred");
  for (const char* p : kPred) std::printf("%15s", p);
  std::printf("%10s\n", "typed ok*");
  for (int t = 0; t < 7; ++t) {
    std::printf("%-15s", kTruth[t]);
    long flagged = 0;
    for (int p = 0; p < 7; ++p) {
      std::printf("%15ld", matrix_[t][p]);
      if (p > 0) flagged += matrix_[t][p];
    }
    if (t > 0 && t < 6) {
      std::printf("%9.1f%%", flagged ? 100.0 * matrix_[t][t] / flagged : 0.0);
    }
    std::printf("\n");
  }
  std::printf("* typed ok = correctly typed / records flagged as anomalous during that fault\n");
  std::printf("\nActions chosen (NOMINAL_OPS) per ground-truth fault type:\n");
  for (const auto& [truth, acts] : actions_) {
    std::printf("  %-15s", truth.c_str());
    for (const auto& [a, n] : acts) std::printf(" %s=%d", a.c_str(), n);
    std::printf("\n");
  }
}

TEST_F(ClassifierEval, ConfusionMatrixWithSmallsatLimits) {
  RunAll(Limits(*smallsat_));
  Print("detector: LimitChecker with kSmallsatLimits");
  // Type accuracy among flagged fault records, per class.
  for (int t = 1; t < 6; ++t) {
    long flagged = 0;
    for (int p = 1; p < 7; ++p) flagged += matrix_[t][p];
    ASSERT_GT(flagged, 0) << kTruth[t];
    EXPECT_GE(static_cast<double>(matrix_[t][t]) / flagged, 0.9) << kTruth[t];
  }
  // Precision of every predicted fault type >= 0.9 (false alarms on nominal records count;
  // after-fault records are reported but not counted: they show real after-effects).
  for (int p = 1; p < 6; ++p) {
    long predicted = 0;
    for (int t = 0; t < 6; ++t) predicted += matrix_[t][p];
    if (predicted > 0) {
      EXPECT_GE(static_cast<double>(matrix_[p][p]) / predicted, 0.9) << kPred[p];
    }
  }
}

// Per scenario, end to end: the first anomaly of the episode has the right type and the policy's
// first response for that type (NOMINAL_OPS).
// With the shipped generic limits: fewer faults cross a red limit (no low wheel-speed limit, a
// wider voltage band), so recall drops; what is flagged must still be typed right, and the
// nominal stream must stay silent.
TEST_F(ClassifierEval, ConfusionMatrixWithDefaultLimits) {
  RunAll(Limits(*defaults_));
  Print("detector: LimitChecker with DefaultLimits()");
  for (int p = 1; p < 6; ++p) {
    long predicted = 0;
    for (int t = 0; t < 6; ++t) predicted += matrix_[t][p];
    if (predicted > 0) {
      EXPECT_GE(static_cast<double>(matrix_[p][p]) / predicted, 0.9) << kPred[p];
    }
  }
  for (int p = 1; p < 7; ++p) EXPECT_EQ(matrix_[0][p], 0) << kPred[p];
}

// The production detector (Engine + default model + default limits), as `astraguard serve` runs.
TEST_F(ClassifierEval, ConfusionMatrixWithEngineAndDefaultModel) {
  ASSERT_TRUE(model_);
  RunAll(Engine());
  Print("detector: Engine with build/models/default.model and DefaultLimits()");
  for (int t = 1; t < 6; ++t) {
    long flagged = 0;
    for (int p = 1; p < 7; ++p) flagged += matrix_[t][p];
    ASSERT_GT(flagged, 0) << kTruth[t];
    EXPECT_GE(static_cast<double>(matrix_[t][t]) / flagged, 0.8) << kTruth[t];
  }
}

// Issue 18 item 4, end to end with the production detector: after 300 nominal records, a
// record with the bus at 2 V (red-low) and every other channel far out of family (wheel_speed
// included, which used to make it a wheel_fault) is a power fault.
TEST_F(ClassifierEval, BusAtTwoVoltsIsAPowerFaultWhateverElseIsUnusual) {
  ASSERT_TRUE(model_);
  DetectFn detect = EngineDetector(model_);
  storage::InMemoryAnomalyStore store(1000);
  prometheus::Registry reg;
  MissionMetrics metrics(reg);
  Service service(policy_, store, clock_, metrics);
  sim::FleetConfig c;
  c.satellites = 1;
  c.seed = 5;
  sim::Fleet fleet(c);
  sim::Record r;
  for (int i = 0; i < 300; ++i) {
    r = fleet.Tick()[0];
    clock_.Advance(std::chrono::seconds(10));
    ASSERT_FALSE(
        service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, detect(r)).is_anomaly)
        << i;
  }
  // The other channels go out of family first (the learned detectors smooth their errors, so
  // a single odd record is not yet unusual to them), until wheel_speed contributes; then the
  // bus drops to 2 V.
  auto unusual = [&] {
    r = fleet.Tick()[0];
    clock_.Advance(std::chrono::seconds(10));
    r.temperature += 25.0;
    r.gyro += 0.15;
    r.current += 3.0;
    r.wheel_speed += 1500.0;
  };
  auto has = [](const detect::Detection& d, std::string_view ch, std::string_view in_reason) {
    return std::any_of(d.contributing.begin(), d.contributing.end(), [&](const auto& c) {
      return c.channel == ch && c.reason.find(in_reason) != std::string::npos;
    });
  };
  bool wheel = false;
  for (int i = 0; i < 200 && !wheel; ++i) {
    unusual();
    const detect::Detection d = detect(r);
    wheel = has(d, "wheel_speed", "");
    (void)service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, d);
  }
  ASSERT_TRUE(wheel);
  unusual();
  r.voltage = 2.0;
  const detect::Detection d = detect(r);
  EXPECT_TRUE(has(d, "wheel_speed", ""));  // the other channels are evidence too, just weaker
  EXPECT_TRUE(has(d, "voltage", "red-low"));
  Assessment a = service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, d);
  ASSERT_TRUE(a.is_anomaly);
  EXPECT_EQ(FaultTypeName(a.type), std::string("power_fault"));
  EXPECT_EQ(a.action, Action::kReducePowerLoad);
}

TEST_F(ClassifierEval, EachScenarioGetsRightTypeAndFirstAction) {
  const std::map<std::string, Action> first_action = {
      {"power_fault", Action::kReducePowerLoad},
      {"thermal_fault", Action::kThermalSafeAttitude},
      {"attitude_fault", Action::kResetAdcs},
      {"wheel_fault", Action::kDesaturateWheels},
      {"sensor_fault", Action::kIsolateSensor}};
  for (sim::FaultKind k : sim::kAllFaultKinds) {
    for (int ch = 0; ch < 5; ++ch) {
      storage::InMemoryAnomalyStore store(10000);
      prometheus::Registry reg;
      MissionMetrics metrics(reg);
      Service service(policy_, store, clock_, metrics);
      sim::FleetConfig c;
      c.satellites = 1;
      c.seed = 11;
      c.faults.push_back({0, {k, 600.0, 900.0, static_cast<sim::Channel>(ch)}});
      sim::Fleet fleet(c);
      std::optional<Assessment> first;
      for (int i = 0; i < 150 && !first; ++i) {
        sim::Record r = fleet.Tick()[0];
        clock_.Advance(std::chrono::seconds(10));
        Assessment a =
            service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, Detect(*smallsat_, r));
        if (a.is_anomaly) {
          ASSERT_NE(r.fault, sim::FaultKind::kNone) << "false alarm at t=" << r.t_s;
          first = a;
        }
      }
      const std::string expected(sim::ExpectedAnomalyType(k));
      ASSERT_TRUE(first.has_value()) << sim::FaultKindName(k) << " channel " << ch << " undetected";
      EXPECT_EQ(FaultTypeName(first->type), expected) << sim::FaultKindName(k);
      EXPECT_EQ(first->action, first_action.at(expected)) << sim::FaultKindName(k);
      EXPECT_EQ(first->action_status, ActionStatus::kRecommended);
      EXPECT_FALSE(first->anomaly_id.empty());
      if (k != sim::FaultKind::kSensorStuck && k != sim::FaultKind::kSensorDropout) break;
    }
  }
}

TEST_F(ClassifierEval, LongNominalRunFalseAlarmRate) {
  const std::pair<const char*, DetectorFactory> detectors[] = {
      {"smallsat limits", Limits(*smallsat_)},
      {"default limits", Limits(*defaults_)},
      {"engine + default model", Engine()}};
  for (const auto& [name, factory] : detectors) {
    storage::InMemoryAnomalyStore store(100000);
    prometheus::Registry reg;
    MissionMetrics metrics(reg);
    Service service(policy_, store, clock_, metrics);
    sim::FleetConfig c;
    c.satellites = 10;
    c.seed = 2026;  // not the training seed (7)
    sim::Fleet fleet(c);
    DetectFn detect = factory();
    long records = 0, alarms = 0;
    std::map<std::string, long> by_type;
    for (int i = 0; i < 8640; ++i) {  // 24 h at 10 s for each of 10 satellites
      clock_.Advance(std::chrono::seconds(10));
      for (const sim::Record& r : fleet.Tick()) {
        Assessment a = service.Process({r.satellite_id, r.timestamp_ms, ToReadings(r)}, detect(r));
        ++records;
        alarms += a.is_anomaly;
        if (a.is_anomaly) by_type[std::string(FaultTypeName(a.type))]++;
      }
    }
    std::printf(
        "\nNominal run (%s): %ld records (10 satellites x 24 h @ 10 s), %ld false "
        "alarms, false-alarm rate %.4f%%",
        name, records, alarms, 100.0 * alarms / records);
    for (const auto& [t, n] : by_type) std::printf(" %s=%ld", t.c_str(), n);
    std::printf("\n");
    EXPECT_EQ(records, 86400);
    EXPECT_LE(static_cast<double>(alarms) / records, 0.01) << name;
  }
}

}  // namespace
}  // namespace astraguard::mission
