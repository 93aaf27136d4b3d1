#include "astraguard/service/telemetry_service.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "astraguard/detect/limits.hpp"
#include "astraguard/detect/testing_util.hpp"
#include "astraguard/ingest/timestamp.hpp"
#include "astraguard/mission/policy.hpp"

namespace astraguard::service {
namespace {

namespace json = boost::json;

class SpanRecorder final : public obs::SpanProcessor {
 public:
  void OnEnd(const obs::SpanData& s) override { names.push_back(s.name); }
  bool ForceFlush(std::chrono::milliseconds) override { return true; }
  void Shutdown(std::chrono::milliseconds) override {}
  std::vector<std::string> names;
};

DetectorOptions NoModel() {
  // No model file: limit checks and robust statistics only, which makes verdicts depend on the
  // record alone (robust statistics need a warm-up before they flag anything).
  return {.model_path = "/nonexistent/astraguard.model",
          .limits_by_phase =
              std::vector<detect::LimitsConfig>(mission::kPhaseCount, detect::DefaultLimits())};
}

// The service core as app/ builds it, with an in-memory store, a fake clock and recorders.
class TelemetryServiceTest : public ::testing::Test {
 protected:
  explicit TelemetryServiceTest(const DetectorOptions& detector = NoModel())
      : policy_(*mission::ParsePolicyYaml(mission::DefaultPolicyYaml(), "<built-in>")),
        detector_(detector, registry_),
        mission_metrics_(registry_),
        detection_metrics_(registry_),
        mission_(policy_, store_, clock_, mission_metrics_),
        tracer_(obs::SamplerConfig{}, MakeRecorder(), clock_),
        logger_(obs::LogConfig{}, MakeLogSink(), clock_),
        service_({.version = "1.2.3", .environment = "test"}, detector_, mission_, store_, clock_,
                 detection_metrics_, tracer_, logger_) {}

  std::unique_ptr<obs::SpanProcessor> MakeRecorder() {
    auto r = std::make_unique<SpanRecorder>();
    spans_ = r.get();
    return r;
  }
  std::unique_ptr<obs::LogSink> MakeLogSink() {
    auto s = std::make_unique<obs::MemoryLogSink>();
    logs_ = s.get();
    return s;
  }

  json::object Assess(std::string_view body) {
    auto r = service_.AssessOne(body);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : json::object();
  }

  // True when the Prometheus text exposition of the registry has `line`.
  bool HasMetric(std::string_view line) const {
    const std::string text = prometheus::TextSerializer().Serialize(registry_.Collect());
    return text.find(line) != std::string::npos;
  }

  static constexpr std::string_view kNominal =
      R"({"satellite_id":"SAT-1","voltage":28.3,"temperature":21.3,"gyro":0.001})";
  static constexpr std::string_view kBrownout =
      R"({"satellite_id":"SAT-1","voltage":20.4,"temperature":21.3,"gyro":0.001,)"
      R"("timestamp":"2026-01-01T00:10:00Z"})";

  prometheus::Registry registry_;
  FakeClock clock_;
  mission::PolicySet policy_;
  storage::InMemoryAnomalyStore store_{1000};
  Detector detector_;
  mission::MissionMetrics mission_metrics_;
  mission::DetectionMetrics detection_metrics_;
  mission::Service mission_;
  SpanRecorder* spans_ = nullptr;
  obs::MemoryLogSink* logs_ = nullptr;
  obs::Tracer tracer_;
  obs::Logger logger_;
  TelemetryService service_;
};

TEST_F(TelemetryServiceTest, NominalRecordIsNotAnomalousAndStampedByTheClock) {
  const json::object r = Assess(kNominal);
  EXPECT_FALSE(r.contains("id"));  // anomaly_id is the one id of a response
  EXPECT_EQ(r.at("satellite_id"), "SAT-1");
  EXPECT_EQ(r.at("is_anomaly"), false);
  EXPECT_TRUE(r.at("anomaly_id").is_null());
  EXPECT_EQ(r.at("anomaly_type"), "normal");
  EXPECT_EQ(r.at("recommended_action"), "NO_ACTION");
  EXPECT_EQ(r.at("reasoning"), "All telemetry parameters within limits");
  EXPECT_EQ(r.at("detector"), "limits+robust");
  EXPECT_EQ(r.at("mission_phase"), "NOMINAL_OPS");
  const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(clock_.WallNow());
  EXPECT_EQ(r.at("timestamp").as_string(), ingest::FormatRfc3339(wall));
  EXPECT_TRUE(r.at("contributing_channels").as_array().empty());
  EXPECT_EQ(store_.Stats().size, 0);
}

TEST_F(TelemetryServiceTest, RecordTimestampWinsOverTheClock) {
  EXPECT_EQ(Assess(kBrownout).at("timestamp"), "2026-01-01T00:10:00.000000Z");
}

TEST_F(TelemetryServiceTest, OutOfLimitRecordIsStoredAsAnAnomaly) {
  const json::object r = Assess(kBrownout);
  EXPECT_EQ(r.at("is_anomaly"), true);
  EXPECT_EQ(r.at("anomaly_id"), "an-1");
  EXPECT_EQ(r.at("anomaly_score"), 1.0);
  EXPECT_EQ(r.at("severity_level"), "CRITICAL");
  EXPECT_EQ(r.at("anomaly_type"), "power_fault");
  EXPECT_EQ(r.at("recommended_action"), "REDUCE_POWER_LOAD");
  const json::array& channels = r.at("contributing_channels").as_array();
  ASSERT_FALSE(channels.empty());
  EXPECT_EQ(channels[0].at("reason"), "voltage 20.4 V below red-low 22 V");

  auto stored = service_.GetAnomaly("an-1");
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->at("satellite_id"), "SAT-1");
  EXPECT_EQ(stored->at("severity_level"), "CRITICAL");
  EXPECT_EQ(stored->at("anomaly_type"), "power_fault");
  EXPECT_EQ(stored->at("recommended_action"), "REDUCE_POWER_LOAD");

  EXPECT_TRUE(HasMetric("astra_anomalies_detected_total{severity=\"critical\"} 1"));
  EXPECT_TRUE(HasMetric("astra_detection_latency_seconds_count 1"));
  EXPECT_TRUE(HasMetric("astra_detection_fallback_total 1"));
  EXPECT_EQ(spans_->names, std::vector<std::string>{"anomaly_detection"});
  logger_.Flush();
  const json::object line = json::parse(logs_->Contents()).as_object();
  EXPECT_EQ(line.at("event"), "anomaly_detected");
  EXPECT_EQ(line.at("satellite"), "SAT-1");
  EXPECT_EQ(line.at("severity"), "CRITICAL");
  EXPECT_EQ(line.at("type"), "power_fault");
}

TEST_F(TelemetryServiceTest, InvalidRecordIsAValidationErrorNamingTheField) {
  auto r = service_.AssessOne(R"({"voltage":"28","temperature":21,"gyro":0})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kValidation);
  ASSERT_EQ(r.status().fields().size(), 1u);
  EXPECT_EQ(r.status().fields()[0].field, "voltage");
  EXPECT_TRUE(HasMetric("astra_detection_latency_seconds_count 0"));
}

TEST_F(TelemetryServiceTest, BatchProcessesValidItemsAndReportsInvalidOnes) {
  auto r = service_.AssessBatch(
      R"({"telemetry":[)"
      R"({"satellite_id":"SAT-1","voltage":28.3,"temperature":21.3,"gyro":0.001},)"
      R"({"satellite_id":"SAT-2","voltage":"28","temperature":21.3,"gyro":0.001},)"
      R"({"satellite_id":"SAT-3","voltage":20.4,"temperature":21.3,"gyro":0.001}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("total_received"), 3);
  EXPECT_EQ(r->at("total_processed"), 2);
  EXPECT_EQ(r->at("rejected"), 1);
  EXPECT_EQ(r->at("anomalies_detected"), 1);
  const json::array& results = r->at("results").as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("index"), 0);
  EXPECT_EQ(results[0].at("ok"), true);
  EXPECT_EQ(results[0].at("is_anomaly"), false);
  EXPECT_EQ(results[1].at("index"), 1);
  EXPECT_EQ(results[1].at("ok"), false);
  EXPECT_EQ(results[1].at("errors").at(0).at("field"), "telemetry[1].voltage");
  EXPECT_FALSE(results[1].as_object().contains("anomaly_id"));
  EXPECT_EQ(results[2].at("ok"), true);
  EXPECT_EQ(results[2].at("anomaly_id"), "an-1");
}

TEST_F(TelemetryServiceTest, BatchWithNoValidItemIsAValidationErrorListingEveryItem) {
  auto r = service_.AssessBatch(R"({"telemetry":[{"voltage":1},{"gyro":"x"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kValidation);
  EXPECT_EQ(r.status().message(), "all 2 records are invalid; nothing was processed");
  ASSERT_FALSE(r.status().fields().empty());
  EXPECT_EQ(r.status().fields().front().field.rfind("telemetry[0].", 0), 0u);
  EXPECT_EQ(r.status().fields().back().field.rfind("telemetry[1].", 0), 0u);
}

TEST_F(TelemetryServiceTest, BatchCountsTheErrorsItDoesNotList) {
  // Three records with 30 unknown fields each (plus the three required ones missing), and one
  // valid record: each invalid result lists 20 and counts the other 13.
  std::string bad = "{";
  for (int k = 0; k < 30; ++k)
    bad.append(k ? ",\"u" : "\"u").append(std::to_string(k)).append("\":1");
  bad += "}";
  const std::string good =
      R"({"satellite_id":"SAT-1","voltage":28.3,"temperature":21.3,"gyro":0.001})";
  auto partial = service_.AssessBatch(
      std::string(R"({"telemetry":[)").append(bad).append(",").append(good).append("]}"));
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  const json::object& first = partial->at("results").at(0).as_object();
  EXPECT_EQ(first.at("errors").as_array().size(), kMaxListedErrors);
  EXPECT_EQ(first.at("errors_not_listed"), 33 - static_cast<int64_t>(kMaxListedErrors));

  auto none = service_.AssessBatch(std::string(R"({"telemetry":[)")
                                       .append(bad)
                                       .append(",")
                                       .append(bad)
                                       .append(",")
                                       .append(bad)
                                       .append("]}"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().fields().size(), kMaxListedErrors);
  EXPECT_EQ(none.status().fields_not_listed(), 3 * 33 - kMaxListedErrors);
}

TEST_F(TelemetryServiceTest, BatchEnvelopeMustBeAnObjectWithOneToAThousandRecords) {
  EXPECT_EQ(service_.AssessBatch("[]").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_.AssessBatch("{").status().code(), Code::kInvalidArgument);
  auto unknown = service_.AssessBatch(R"({"telemetry":[],"x":1})");
  EXPECT_EQ(unknown.status().code(), Code::kValidation);
  EXPECT_EQ(unknown.status().fields().at(0).field, "x");
  EXPECT_EQ(service_.AssessBatch(R"({"telemetry":[]})").status().fields().at(0).field, "telemetry");
  EXPECT_EQ(service_.AssessBatch(R"({"telemetry":{}})").status().code(), Code::kValidation);
  std::string big = R"({"telemetry":[)";
  for (size_t i = 0; i <= kMaxBatchRecords; ++i) {
    big += i ? ",{}" : "{}";
  }
  big += "]}";
  EXPECT_EQ(service_.AssessBatch(big).status().message(),
            "telemetry: 1001 records; must be 1..1000");
}

TEST_F(TelemetryServiceTest, FeedbackUpdatesTheRecord) {
  Assess(kBrownout);
  auto f = service_.SubmitFeedback("an-1", R"({"label":"false_positive","note":"eclipse"})");
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto stored = service_.GetAnomaly("an-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at("feedback").at("label"), "false_positive");
  EXPECT_EQ(stored->at("feedback").at("note"), "eclipse");
  EXPECT_TRUE(HasMetric("astra_anomaly_feedback_total{label=\"false_positive\"} 1"));

  EXPECT_EQ(service_.SubmitFeedback("an-9", R"({"label":"confirmed"})").status().code(),
            Code::kNotFound);
  EXPECT_EQ(service_.SubmitFeedback("an-1", R"({"label":"maybe"})").status().code(),
            Code::kValidation);
  EXPECT_EQ(service_.GetAnomaly("an-9").status().code(), Code::kNotFound);
}

TEST_F(TelemetryServiceTest, HistoryFiltersBySatellite) {
  Assess(R"({"satellite_id":"SAT-A","voltage":20.4,"temperature":21.3,"gyro":0.001})");
  Assess(R"({"satellite_id":"SAT-B","voltage":20.4,"temperature":21.3,"gyro":0.001})");
  Assess(R"({"satellite_id":"SAT-B","voltage":28.3,"temperature":21.3,"gyro":0.001})");

  auto all = service_.History("");
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->at("anomalies").as_array().size(), 2u);
  auto b = service_.History("satellite_id=SAT-B");
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(b->at("anomalies").as_array().size(), 1u);
  EXPECT_EQ(b->at("anomalies").at(0).at("satellite_id"), "SAT-B");
  EXPECT_EQ(service_.History("limit=0").status().code(), Code::kValidation);
  EXPECT_EQ(service_.History("colour=red").status().code(), Code::kValidation);

  auto actions = service_.RecoveryActions("satellite_id=SAT-A");
  ASSERT_TRUE(actions.ok()) << actions.status().message();
  EXPECT_EQ(actions->at("actions").as_array().size(), 1u);
  EXPECT_EQ(service_.RecoveryActions("limit=5000").status().code(), Code::kValidation);
}

TEST_F(TelemetryServiceTest, PhaseChangeAffectsDecisions) {
  EXPECT_EQ(service_.GetPhase().at("phase"), "NOMINAL_OPS");
  // NOMINAL_OPS -> LAUNCH is not in the transition table: refused unless forced.
  EXPECT_EQ(service_.SetPhase(R"({"phase":"LAUNCH"})").status().code(), Code::kConflict);
  auto changed = service_.SetPhase(R"({"phase":"LAUNCH","force":true,"reason":"test"})");
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(service_.GetPhase().at("phase"), "LAUNCH");

  // In LAUNCH the policy escalates a CRITICAL anomaly to safe mode instead of shedding load.
  const json::object r = Assess(kBrownout);
  EXPECT_EQ(r.at("mission_phase"), "LAUNCH");
  EXPECT_EQ(r.at("recommended_action"), "ENTER_SAFE_MODE");
  EXPECT_EQ(service_.GetStatus().at("mission_phase"), "LAUNCH");
}

TEST_F(TelemetryServiceTest, HealthReportsComponentsAndUptimeFromTheClock) {
  clock_.Advance(std::chrono::seconds(5));
  HealthReport serving = service_.GetHealth(true, false);
  EXPECT_FALSE(serving.unhealthy);
  // Without a model file the detector runs in fallback mode.
  EXPECT_EQ(serving.body.at("status"), "degraded");
  EXPECT_EQ(serving.body.at("version"), "1.2.3");
  EXPECT_EQ(serving.body.at("environment"), "test");
  EXPECT_EQ(serving.body.at("uptime_seconds"), 5.0);
  const json::object& components = serving.body.at("components").as_object();
  EXPECT_EQ(components.at("http").at("status"), "healthy");
  EXPECT_EQ(components.at("detector").at("status"), "degraded");
  EXPECT_EQ(components.at("anomaly_store").at("backend"), "memory");

  HealthReport stopped = service_.GetHealth(false, true);
  EXPECT_TRUE(stopped.unhealthy);
  EXPECT_EQ(stopped.body.at("status"), "unhealthy");
  EXPECT_EQ(stopped.body.at("components").at("http").at("draining"), true);
}

}  // namespace
}  // namespace astraguard::service

namespace astraguard::service {
namespace {

DetectorOptions OnlineLearning() {
  DetectorOptions o = NoModel();
  o.online_train_steps = 300;
  return o;
}

// A channel the model file does not know (here: no model file at all) is fitted online from
// its own nominal history, off the request thread; flagged and feedback-marked records are not
// in that history.
class OnlineLearningTest : public TelemetryServiceTest {
 protected:
  OnlineLearningTest() : TelemetryServiceTest(OnlineLearning()) {
    detector_.StartOnlineTraining(logger_);
  }
  ~OnlineLearningTest() override { detector_.WaitForTraining(); }  // nothing logs after this

  // Record t of a satellite: every channel varies (no stuck-sensor signature).
  json::object Record(const std::string& sat, std::size_t t, double voltage_shift = 0.0,
                      std::optional<double> current = std::nullopt) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T%02zu:%02zu:%02zuZ", t / 3600, t / 60 % 60, t % 60);
    json::object rec;
    rec["satellite_id"] = sat;
    rec["timestamp"] = ts;
    rec["voltage"] = voltage_[t] + voltage_shift;
    rec["temperature"] = temperature_[t];
    rec["gyro"] = gyro_[t];
    rec["current"] = current ? *current : current_[t];
    return Assess(json::serialize(rec));
  }

  const std::vector<double> voltage_ = detect::testing::Nominal(2000, 11, 28.0, 0.5, 0.03);
  const std::vector<double> temperature_ = detect::testing::Nominal(2000, 12, 20.0, 5.0, 0.2);
  const std::vector<double> gyro_ = detect::testing::Nominal(2000, 13, 0.001, 0.0005, 0.0001);
  const std::vector<double> current_ = detect::testing::Nominal(2000, 14, 3.0, 0.3, 0.03);
};

TEST_F(OnlineLearningTest, UnknownChannelsGetLearnedModelsWithoutFlaggedOrMarkedRecords) {
  std::size_t t = 0;
  for (; t < 330; ++t) {
    for (const std::string sat : {"SAT-1", "SAT-2"}) {
      if (t == 5) {
        // Current drops out to exactly 0: a sensor signature of the mission layer, which the
        // detector (still warming up) does not flag. Stored as an anomaly either way.
        const json::object r = Record(sat, t, 0.0, 0.0);
        EXPECT_EQ(r.at("is_anomaly"), true);
      } else if (t == 120) {
        EXPECT_EQ(Record(sat, t, -7.6).at("is_anomaly"), true);  // 20.4 V: below red-low
      } else {
        Record(sat, t);
      }
    }
    if (t == 10) {
      // The operator marks SAT-1's dropout (an-1) as a false alarm, well before the history is
      // full; SAT-2's (an-2) stays unmarked.
      ASSERT_EQ(store_.Get("an-1")->satellite_id, "SAT-1");
      ASSERT_TRUE(service_.SubmitFeedback("an-1", R"({"label":"false_positive"})").ok());
    }
  }
  detector_.WaitForTraining();

  for (const std::string sat : {"SAT-1", "SAT-2"}) {
    for (const char* channel : {"voltage", "temperature", "gyro", "current"}) {
      EXPECT_NE(detector_.LearnedModel(sat, channel), nullptr) << sat << " " << channel;
    }
    // The brownout was flagged by the limits: never in the history.
    EXPECT_GT(detector_.LearnedModel(sat, "voltage")->value_min, 27.0) << sat;
  }
  // The dropout was not flagged by the detector: only the feedback kept it out of SAT-1's.
  EXPECT_GT(detector_.LearnedModel("SAT-1", "current")->value_min, 2.0);
  EXPECT_EQ(detector_.LearnedModel("SAT-2", "current")->value_min, 0.0);

  const json::object h = detector_.Health();
  EXPECT_EQ(h.at("learned_channels").as_uint64(), 8u);
  EXPECT_EQ(h.at("models_learned").as_uint64(), 8u);
  EXPECT_EQ(h.at("online_train_steps").as_uint64(), 300u);
  EXPECT_EQ(h.at("training_queue").as_uint64(), 0u);
  EXPECT_TRUE(HasMetric("astra_detection_models_learned_total 8"));
  EXPECT_TRUE(HasMetric("astra_detection_learned_channels 8"));
  logger_.Flush();
  const std::string logs = logs_->Contents();
  EXPECT_NE(logs.find("channel_model_learned"), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"channel\":\"voltage\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"steps\":"), std::string::npos) << logs;

  // After the learned detector's warm-up, a voltage shift well inside the limits is explained
  // by the learned predictor's residual.
  for (std::size_t k = 0; k < 300; ++k, ++t) Record("SAT-1", t);
  bool explained = false;
  for (std::size_t k = 0; k < 20 && !explained; ++k, ++t) {
    const json::object r = Record("SAT-1", t, 1.5);
    if (r.at("is_anomaly") != true) continue;
    for (const auto& c : r.at("contributing_channels").as_array()) {
      const auto& reason = c.at("reason").as_string();
      if (std::string_view(reason).find("voltage residual") != std::string_view::npos)
        explained = true;
    }
  }
  EXPECT_TRUE(explained);
}

}  // namespace
}  // namespace astraguard::service

namespace astraguard::service {
namespace {

// Online models are exported to a model file and loaded by the next run: its channels start on
// them (no new history, no fit). A corrupt file is reported and ignored.
TEST(DetectorLearnedModelsTest, SavedModelsAreLoadedByTheNextRun) {
  const std::string path = ::testing::TempDir() + "astraguard_learned_" +
                           std::to_string(::getpid()) + ".model";
  std::remove(path.c_str());
  const std::vector<double> pressure = detect::testing::Nominal(400, 5, 10.0, 1.0, 0.1);
  auto feed = [&](Detector& d, std::size_t from, std::size_t to) {
    for (std::size_t t = from; t < to; ++t) {
      std::vector<detect::ChannelValue> rec{{"pressure", pressure[t]}};
      d.Evaluate("SAT-9", rec, 0, std::int64_t(t));
    }
  };
  FakeClock clock;
  obs::Logger logger(obs::LogConfig{}, std::make_unique<obs::MemoryLogSink>(), clock);
  DetectorOptions options = OnlineLearning();
  options.online_train_steps = 200;
  options.learned_models_path = path;
  std::shared_ptr<const detect::ChannelModel> first;
  {
    prometheus::Registry registry;
    Detector d(options, registry);
    EXPECT_EQ(d.Health().at("learned_models_loaded").as_uint64(), 0u);  // no file yet
    EXPECT_FALSE(d.Health().contains("learned_models_error"));
    d.StartOnlineTraining(logger);
    feed(d, 0, 210);
    d.WaitForTraining();
    first = d.LearnedModel("SAT-9", "pressure");
    ASSERT_NE(first, nullptr);
    auto saved = d.SaveLearnedModels();
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    EXPECT_EQ(*saved, 1u);
  }
  {
    prometheus::Registry registry;
    Detector d(options, registry);  // the trainer is not even started
    EXPECT_EQ(d.Health().at("learned_models_loaded").as_uint64(), 1u);
    feed(d, 210, 211);
    auto loaded = d.LearnedModel("SAT-9", "pressure");
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(loaded->weights, first->weights);
    EXPECT_EQ(loaded->value_min, first->value_min);
    EXPECT_EQ(d.Health().at("learned_channels").as_uint64(), 1u);
    EXPECT_EQ(d.LearnedModel("SAT-8", "pressure"), nullptr);  // another satellite's channel
  }
  {
    std::FILE* f = std::fopen(path.c_str(), "ab");
    ASSERT_NE(f, nullptr);
    std::fputs("tampered", f);
    std::fclose(f);
    prometheus::Registry registry;
    Detector d(options, registry);
    EXPECT_EQ(d.Health().at("learned_models_loaded").as_uint64(), 0u);
    EXPECT_NE(std::string_view(d.Health().at("learned_models_error").as_string()).find("checksum"),
              std::string_view::npos)
        << d.Health().at("learned_models_error");
    feed(d, 0, 1);
    EXPECT_EQ(d.LearnedModel("SAT-9", "pressure"), nullptr);
  }
  std::remove(path.c_str());
  DetectorOptions without = NoModel();
  prometheus::Registry registry;
  Detector d(without, registry);
  EXPECT_FALSE(d.SaveLearnedModels().ok());
  EXPECT_FALSE(d.Health().contains("learned_models_path"));
}

}  // namespace
}  // namespace astraguard::service
