#include "astraguard/mission/service.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace astraguard::mission {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    auto p = ParsePolicyYaml(DefaultPolicyYaml());
    EXPECT_TRUE(p.ok());
    policy_ = *p;
    service_ = std::make_unique<Service>(policy_, store_, clock_, metrics_);
  }
  static Readings Values(double v, double t, double g, double i, double w) {
    Readings r;
    r.Set(StdChannel::kVoltage, v);
    r.Set(StdChannel::kTemperature, t);
    r.Set(StdChannel::kGyro, g);
    r.Set(StdChannel::kCurrent, i);
    r.Set(StdChannel::kWheelSpeed, w);
    return r;
  }
  static detect::Detection Det(std::string ch, double score) {
    detect::Detection d;
    d.is_anomaly = true;
    d.anomaly_score = score;
    d.confidence = 0.9;
    d.contributing.push_back({ch, 0.0, score, ch + " beyond red limit"});
    return d;
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  MissionMetrics metrics_{registry_};
  storage::InMemoryAnomalyStore store_{1000};
  PolicySet policy_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceTest, NormalRecordIsNotStored) {
  auto a = service_->Process({"SAT-001", 1000, Values(28, 20, 0.001, 1.2, 2000)}, {});
  EXPECT_FALSE(a.is_anomaly);
  EXPECT_EQ(a.phase, Phase::kNominalOps);
  EXPECT_EQ(store_.Stats().size, 0);
  EXPECT_EQ(service_->GetStatus().records_total, 1);
}

TEST_F(ServiceTest, AnomalyIsClassifiedDecidedAndStored) {
  auto a = service_->Process({"SAT-001", 5000, Values(21.5, 20, 0.001, 4.9, 2000)},
                             Det("voltage", 0.92));
  ASSERT_TRUE(a.is_anomaly);
  EXPECT_EQ(a.type, FaultType::kPower);
  EXPECT_EQ(a.severity, Severity::kCritical);
  EXPECT_EQ(a.action, Action::kReducePowerLoad);
  ASSERT_FALSE(a.anomaly_id.empty());
  auto r = service_->GetAnomaly(a.anomaly_id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->satellite_id, "SAT-001");
  EXPECT_EQ(r->timestamp_ms, 5000);
  EXPECT_EQ(r->anomaly_type, "power_fault");
  EXPECT_EQ(r->recommended_action, "REDUCE_POWER_LOAD");
  EXPECT_EQ(r->values.size(), 5u);
  ASSERT_EQ(r->contributing.size(), 1u);
  auto actions = service_->RecentActions(10, std::nullopt);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].anomaly_id, a.anomaly_id);
  EXPECT_EQ(metrics_.ClassifiedCounter(FaultType::kPower, Severity::kCritical).Value(), 1);
}

TEST_F(ServiceTest, StuckSensorBecomesAnomalyWithoutDetection) {
  Assessment a;
  for (int i = 0; i < 6; ++i) {
    a = service_->Process(
        {"SAT-003", 1000 * i, Values(28 + i * 0.01, 21.37, 0.001 * i, 1.2, 2000 + i)}, {});
  }
  ASSERT_TRUE(a.is_anomaly);
  EXPECT_EQ(a.type, FaultType::kSensor);
  EXPECT_EQ(a.action, Action::kIsolateSensor);
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(service_->GetStatus().sensor_signatures_total, 1);
}

TEST_F(ServiceTest, FeedbackUpdatesCountsAccuracyAndMetrics) {
  auto a = service_->Process({"SAT-001", 1, Values(28, 70, 0, 1.2, 2000)}, Det("temperature", 0.8));
  auto b = service_->Process({"SAT-001", 2, Values(28, 71, 0, 1.2, 2000)}, Det("temperature", 0.8));
  auto f = service_->SubmitFeedback(a.anomaly_id, storage::FeedbackLabel::kConfirmed, "real");
  ASSERT_TRUE(f.ok());
  f = service_->SubmitFeedback(b.anomaly_id, storage::FeedbackLabel::kFalsePositive, "glint");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->confirmed, 1);
  EXPECT_EQ(f->false_positive, 1);
  EXPECT_DOUBLE_EQ(f->accuracy, 0.5);
  // Relabel b as confirmed: counts move, accuracy 1.0.
  f = service_->SubmitFeedback(b.anomaly_id, storage::FeedbackLabel::kConfirmed, "");
  EXPECT_EQ(f->false_positive, 0);
  EXPECT_DOUBLE_EQ(f->accuracy, 1.0);
  EXPECT_EQ(metrics_.false_positives(false).Value(), 1);
  EXPECT_EQ(metrics_.false_positives(true).Value(), 0);
  EXPECT_DOUBLE_EQ(metrics_.accuracy().Value(), 1.0);
  EXPECT_EQ(service_->GetAnomaly(b.anomaly_id)->feedback->label,
            storage::FeedbackLabel::kConfirmed);
  EXPECT_EQ(
      service_->SubmitFeedback("an-999", storage::FeedbackLabel::kConfirmed, "").status().code(),
      Code::kNotFound);
}

TEST_F(ServiceTest, PhaseChangesAreValidatedAndCounted) {
  EXPECT_EQ(service_->SetPhase(Phase::kLaunch, false, "").status().code(), Code::kConflict);
  ASSERT_TRUE(service_->SetPhase(Phase::kLaunch, true, "test").ok());
  EXPECT_EQ(service_->GetPhase().phase, Phase::kLaunch);
  EXPECT_EQ(service_->GetPhase().policy->threshold_multiplier, 1.1);
  EXPECT_EQ(metrics_.transitions_forced().Value(), 1);
  // Anomalies are judged by the LAUNCH policy now.
  auto a = service_->Process({"SAT-001", 1, Values(28, 70, 0, 1.2, 2000)}, Det("temperature", 0.8));
  EXPECT_EQ(a.phase, Phase::kLaunch);
  EXPECT_EQ(a.severity, Severity::kHigh);        // 0.8 / 1.1
  EXPECT_EQ(a.action, Action::kAlertOperators);  // LAUNCH rule: HIGH -> ALERT_OPERATORS
  EXPECT_TRUE(a.escalated);
  a = service_->Process({"SAT-001", 2, Values(28, 70, 0, 1.2, 2000)}, Det("temperature", 0.6));
  EXPECT_EQ(a.action, Action::kLogEvent);  // MEDIUM is below LAUNCH act_min_severity HIGH
}

TEST_F(ServiceTest, ConcurrentProcessingKeepsCountsConsistent) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      const std::string sat = "SAT-" + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        const bool bad = i % 5 == 0;
        auto a = service_->Process(
            {sat, i,
             Values(28 + 0.001 * i, 20 + 0.01 * i, 0.001 + 1e-6 * i, 1.2 + 0.001 * i, 2000 + i)},
            bad ? Det("voltage", 0.95) : detect::Detection{});
        EXPECT_EQ(a.is_anomaly, bad);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto st = service_->GetStatus();
  EXPECT_EQ(st.records_total, 2000);
  EXPECT_EQ(st.anomalies_total, 400);
  EXPECT_EQ(st.store.size, 400);
  EXPECT_EQ(st.actions_total, 400u);
  EXPECT_EQ(st.tracked_satellites, 4);
  EXPECT_EQ(st.untracked_anomalies, 0);
}

TEST_F(ServiceTest, StatusIsTruthful) {
  auto s = service_->GetStatus();
  EXPECT_EQ(s.status, "ok");
  EXPECT_TRUE(s.problems.empty());
  EXPECT_EQ(s.store.backend, "memory");
  clock_.Advance(std::chrono::seconds(42));
  EXPECT_NEAR(service_->GetStatus().uptime_s, 42, 1e-9);
}

// A store that fails every write, to check the degraded path.
class FailingStore final : public storage::AnomalyStore {
 public:
  Result<std::string> Append(storage::AnomalyRecord) override {
    return Status::Error(Code::kUnavailable, "down");
  }
  Result<storage::AnomalyRecord> Get(std::string_view) const override {
    return Status::Error(Code::kUnavailable, "down");
  }
  Result<storage::AnomalyPage> Query(const storage::AnomalyQuery&) const override {
    return Status::Error(Code::kUnavailable, "down");
  }
  Result<storage::FeedbackUpdate> SetFeedback(std::string_view, storage::Feedback) override {
    return Status::Error(Code::kUnavailable, "down");
  }
  storage::StoreStats Stats() const override {
    storage::StoreStats s;
    s.backend = "failing";
    s.healthy = false;
    return s;
  }
};

TEST_F(ServiceTest, StoreFailureDegradesStatusButStillDecides) {
  FailingStore failing;
  Service s(policy_, failing, clock_, metrics_);
  auto a = s.Process({"SAT-001", 1, Values(28, 70, 0, 1.2, 2000)}, Det("temperature", 0.8));
  EXPECT_TRUE(a.is_anomaly);
  EXPECT_EQ(a.action, Action::kThermalSafeAttitude);
  EXPECT_TRUE(a.anomaly_id.empty());
  EXPECT_EQ(a.store_status.code(), Code::kUnavailable);
  auto st = s.GetStatus();
  EXPECT_EQ(st.status, "degraded");
  EXPECT_EQ(st.store_failures_total, 1);
  EXPECT_EQ(st.problems.size(), 2u);
}

}  // namespace
}  // namespace astraguard::mission
