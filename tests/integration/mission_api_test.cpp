// End-to-end tests of the mission-operations API against the real binary: phases, recovery
// actions, history filters and pagination, anomaly by id, feedback, status, batch ingest, bad
// input on every new endpoint, and `astraguard simulate` feeding the service.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard {
namespace {

namespace json = boost::json;
using testing::ServiceProcess;

json::value Json(const std::string& body) { return json::parse(body); }

// Field names listed in a problem+json body.
std::vector<std::string> ProblemFields(const http::ClientResponse& r) {
  std::vector<std::string> out;
  auto v = Json(r.body);
  for (const auto& e : v.at("errors").as_array()) out.emplace_back(e.at("field").as_string());
  return out;
}

class MissionApiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(svc_.started()) << svc_.output(); }
  http::ClientResponse Send(std::string_view method, std::string_view target,
                            std::string_view body = {},
                            std::string_view content_type = "application/json") {
    auto r = client_.Send(method, target, body, content_type);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : http::ClientResponse{};
  }
  // Posts one record; returns the response object.
  json::object Post(const std::string& record) {
    auto r = Send("POST", "/api/v1/telemetry", record);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r.body).as_object();
  }
  ServiceProcess svc_;
  http::HttpClient client_{"127.0.0.1", svc_.api_port()};
};

constexpr const char* kBrownout =
    R"({"satellite_id":"SAT-7","voltage":20.5,"temperature":20,"gyro":0.001,"current":5.6,"wheel_speed":2100})";
constexpr const char* kNominal =
    R"({"satellite_id":"SAT-7","voltage":28.4,"temperature":20,"gyro":0.001,"current":1.2,"wheel_speed":2100})";

TEST_F(MissionApiTest, TelemetryResponseCarriesMissionFields) {
  auto ok = Post(kNominal);
  EXPECT_FALSE(ok.at("is_anomaly").as_bool());
  EXPECT_EQ(ok.at("recommended_action").as_string(), "NO_ACTION");
  EXPECT_EQ(ok.at("mission_phase").as_string(), "NOMINAL_OPS");
  auto bad = Post(kBrownout);
  EXPECT_TRUE(bad.at("is_anomaly").as_bool());
  EXPECT_EQ(bad.at("anomaly_type").as_string(), "power_fault");
  EXPECT_EQ(bad.at("severity_level").as_string(), "CRITICAL");
  EXPECT_EQ(bad.at("recommended_action").as_string(), "REDUCE_POWER_LOAD");
  EXPECT_EQ(bad.at("action_status").as_string(), "recommended");
  ASSERT_TRUE(bad.at("anomaly_id").is_string());
  auto by_id = Send("GET", "/api/v1/anomalies/" + std::string(bad.at("anomaly_id").as_string()));
  ASSERT_EQ(by_id.status, 200);
  auto a = Json(by_id.body).as_object();
  EXPECT_EQ(a.at("satellite_id").as_string(), "SAT-7");
  EXPECT_EQ(a.at("values").at("voltage").as_double(), 20.5);
  EXPECT_TRUE(a.at("feedback").is_null());
}

TEST_F(MissionApiTest, PhaseTransitionsValidInvalidForced) {
  auto get = Send("GET", "/api/v1/phase");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(Json(get.body).at("phase").as_string(), "NOMINAL_OPS");
  auto invalid = Send("POST", "/api/v1/phase", R"({"phase":"LAUNCH"})");
  EXPECT_EQ(invalid.status, 409);
  EXPECT_EQ(invalid.headers["content-type"], "application/problem+json");
  EXPECT_EQ(ProblemFields(invalid), std::vector<std::string>{"phase"});
  auto valid = Send("POST", "/api/v1/phase", R"({"phase":"SAFE_MODE","reason":"drill"})");
  ASSERT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(Json(valid.body).at("new_phase").as_string(), "SAFE_MODE");
  // Anomalies in SAFE_MODE still get real, policy-allowed responses.
  auto in_safe = Post(kBrownout);
  EXPECT_EQ(in_safe.at("mission_phase").as_string(), "SAFE_MODE");
  EXPECT_EQ(in_safe.at("recommended_action").as_string(), "REDUCE_POWER_LOAD");
  auto back = Send("POST", "/api/v1/phase", R"({"phase":"NOMINAL_OPS"})");
  EXPECT_EQ(back.status, 200);
  auto forced = Send("POST", "/api/v1/phase", R"({"phase":"LAUNCH","force":true})");
  ASSERT_EQ(forced.status, 200);
  EXPECT_TRUE(Json(forced.body).at("forced").as_bool());
  auto hist = Json(Send("GET", "/api/v1/phase").body).at("history").as_array();
  ASSERT_EQ(hist.size(), 4u);
  EXPECT_EQ(hist[1].at("reason").as_string(), "drill");
  EXPECT_TRUE(hist[3].at("forced").as_bool());
}

TEST_F(MissionApiTest, HistoryFiltersAndCursorPagination) {
  // Values vary per record: identical repeats would (rightly) be flagged as a stuck sensor.
  for (int i = 0; i < 7; ++i) {
    Post(R"({"satellite_id":"SAT-A","voltage":20.)" + std::to_string(i) + R"(,"temperature":2)" +
         std::to_string(i) + R"(,"gyro":0.00)" + std::to_string(i + 1) +
         R"(,"timestamp":"2026-01-01T00:0)" + std::to_string(i) + R"(:00Z"})");
  }
  for (int i = 0; i < 3; ++i) {
    Post(R"({"satellite_id":"SAT-B","voltage":28.)" + std::to_string(i) + R"(,"temperature":9)" +
         std::to_string(i) + R"(,"gyro":0.00)" + std::to_string(i + 1) +
         R"(,"timestamp":"2026-01-01T00:0)" + std::to_string(i) + R"(:30Z"})");
  }
  auto all = Json(Send("GET", "/api/v1/history/anomalies?limit=1000").body);
  EXPECT_EQ(all.at("count").to_number<uint64_t>(), 10u);
  auto b =
      Json(Send("GET", "/api/v1/history/anomalies?satellite_id=SAT-B&type=thermal_fault").body);
  EXPECT_EQ(b.at("count").to_number<uint64_t>(), 3u);
  auto none =
      Json(Send("GET", "/api/v1/history/anomalies?satellite_id=SAT-B&type=power_fault").body);
  EXPECT_EQ(none.at("count").to_number<uint64_t>(), 0u);
  auto window = Json(Send("GET",
                          "/api/v1/history/anomalies?satellite_id=SAT-A&from=2026-01-01T00:02:00Z"
                          "&to=2026-01-01T00:04:00Z")
                         .body);
  EXPECT_EQ(window.at("count").to_number<uint64_t>(), 3u);
  auto crit = Json(Send("GET", "/api/v1/history/anomalies?severity_min=CRITICAL").body);
  EXPECT_EQ(crit.at("count").to_number<uint64_t>(), 10u);
  // Pages of 3 over SAT-A's 7 anomalies: 3 + 3 + 1, newest first, no repeats.
  std::string target = "/api/v1/history/anomalies?satellite_id=SAT-A&limit=3";
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = Json(Send("GET", target).body).as_object();
    for (const auto& a : p.at("anomalies").as_array())
      seen.emplace_back(a.at("timestamp").as_string());
    if (p.at("next_cursor").is_null()) break;
    target = "/api/v1/history/anomalies?satellite_id=SAT-A&limit=3&cursor=" +
             std::string(p.at("next_cursor").as_string());
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front(), "2026-01-01T00:06:00.000Z");
  EXPECT_EQ(seen.back(), "2026-01-01T00:00:00.000Z");
}

TEST_F(MissionApiTest, FeedbackFeedsCountsAndMetrics) {
  auto a = Post(kBrownout);
  auto b = Post(kBrownout);
  const std::string ida(a.at("anomaly_id").as_string()), idb(b.at("anomaly_id").as_string());
  auto fa = Send("POST", "/api/v1/anomalies/" + ida + "/feedback", R"({"label":"confirmed"})");
  ASSERT_EQ(fa.status, 200) << fa.body;
  auto fb = Send("POST", "/api/v1/anomalies/" + idb + "/feedback",
                 R"({"label":"false_positive","note":"test load"})");
  ASSERT_EQ(fb.status, 200);
  EXPECT_EQ(Json(fb.body).at("detection_accuracy").as_double(), 0.5);
  EXPECT_EQ(
      Json(Send("GET", "/api/v1/anomalies/" + idb).body).at("feedback").at("note").as_string(),
      "test load");
  auto metrics = Send("GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(astra_false_positives_total{detector="engine"} 1)"), std::string::npos);
  EXPECT_NE(metrics.find("astra_detection_accuracy 0.5"), std::string::npos);
  EXPECT_NE(metrics.find(
                R"(astra_recovery_actions_total{status="recommended",type="REDUCE_POWER_LOAD"} 1)"),
            std::string::npos)
      << metrics.substr(0, 2000);
  auto status = Json(Send("GET", "/api/v1/status").body);
  EXPECT_EQ(status.at("status").as_string(), "ok");
  EXPECT_EQ(status.at("feedback").at("false_positive").to_number<int64_t>(), 1);
  EXPECT_EQ(status.at("anomalies_detected").to_number<int64_t>(), 2);
}

TEST_F(MissionApiTest, RecoveryActionsListNewestFirst) {
  Post(kBrownout);
  Post(R"({"satellite_id":"SAT-9","voltage":28,"temperature":20,"gyro":0.9})");
  auto r = Send("GET", "/api/v1/recovery/actions?limit=10");
  ASSERT_EQ(r.status, 200);
  auto acts = Json(r.body).at("actions").as_array();
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[0].at("action").as_string(), "RESET_ADCS");
  EXPECT_EQ(acts[1].at("action").as_string(), "REDUCE_POWER_LOAD");
  auto only = Json(Send("GET", "/api/v1/recovery/actions?satellite_id=SAT-9").body);
  EXPECT_EQ(only.at("count").to_number<uint64_t>(), 1u);
}

TEST_F(MissionApiTest, BatchProcessesValidRecordsAndReportsInvalidOnes) {
  const std::string body = std::string(R"({"telemetry":[)") + kNominal + "," +
                           R"({"voltage":99,"temperature":20,"gyro":0},)" + kBrownout + "]}";
  auto r = Send("POST", "/api/v1/telemetry/batch", body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = Json(r.body).as_object();
  EXPECT_EQ(v.at("total_received").to_number<uint64_t>(), 3u);
  EXPECT_EQ(v.at("total_processed").to_number<uint64_t>(), 2u);
  EXPECT_EQ(v.at("rejected").to_number<uint64_t>(), 1u);
  EXPECT_EQ(v.at("anomalies_detected").to_number<uint64_t>(), 1u);
  auto res = v.at("results").as_array();
  EXPECT_TRUE(res[0].at("ok").as_bool());
  EXPECT_FALSE(res[1].at("ok").as_bool());
  EXPECT_EQ(res[1].at("errors").as_array()[0].at("field").as_string(), "telemetry[1].voltage");
  EXPECT_EQ(res[2].at("anomaly_type").as_string(), "power_fault");
  EXPECT_EQ(res[2].at("index").to_number<uint64_t>(), 2u);
}

struct BadCase {
  const char* name;
  const char* method;
  std::string target;
  std::string body;
  std::string content_type;
  int status;
  std::string field;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::vector<BadCase> BadCases() {
  std::string big = R"({"telemetry":[)";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + kNominal;
  big += "]}";
  const std::string j = "application/json";
  return {
      {"PhaseMalformed", "POST", "/api/v1/phase", "{", j, 400, "body"},
      {"PhaseNotObject", "POST", "/api/v1/phase", "[]", j, 400, "body"},
      {"PhaseMissing", "POST", "/api/v1/phase", "{}", j, 422, "phase"},
      {"PhaseUnknown", "POST", "/api/v1/phase", R"({"phase":"ORBIT"})", j, 422, "phase"},
      {"PhaseLowerCase", "POST", "/api/v1/phase", R"({"phase":"safe_mode"})", j, 422, "phase"},
      {"PhaseForceType", "POST", "/api/v1/phase", R"({"phase":"SAFE_MODE","force":1})", j, 422,
       "force"},
      {"PhaseUnknownField", "POST", "/api/v1/phase", R"({"phase":"SAFE_MODE","x":1})", j, 422, "x"},
      {"PhaseContentType", "POST", "/api/v1/phase", R"({"phase":"SAFE_MODE"})", "text/plain", 415,
       "Content-Type"},
      {"ActionsLimit", "GET", "/api/v1/recovery/actions?limit=0", "", j, 422, "limit"},
      {"ActionsUnknownParam", "GET", "/api/v1/recovery/actions?sat=1", "", j, 422, "sat"},
      {"HistoryLimitHigh", "GET", "/api/v1/history/anomalies?limit=1001", "", j, 422, "limit"},
      {"HistoryLimitText", "GET", "/api/v1/history/anomalies?limit=ten", "", j, 422, "limit"},
      {"HistoryFrom", "GET", "/api/v1/history/anomalies?from=yesterday", "", j, 422, "from"},
      {"HistoryRange", "GET", "/api/v1/history/anomalies?from=2000&to=1000", "", j, 422, "from"},
      {"HistorySeverity", "GET", "/api/v1/history/anomalies?severity_min=HUGE", "", j, 422,
       "severity_min"},
      {"HistoryType", "GET", "/api/v1/history/anomalies?type=meteor", "", j, 422, "type"},
      {"HistoryCursor", "GET", "/api/v1/history/anomalies?cursor=abc", "", j, 400, "cursor"},
      {"HistoryUnknownParam", "GET", "/api/v1/history/anomalies?start_time=1", "", j, 422,
       "start_time"},
      {"HistoryBadEscape", "GET", "/api/v1/history/anomalies?type=%zz", "", j, 400, "query"},
      {"AnomalyUnknown", "GET", "/api/v1/anomalies/an-999999", "", j, 404, "id"},
      {"FeedbackUnknownId", "POST", "/api/v1/anomalies/an-999999/feedback",
       R"({"label":"confirmed"})", j, 404, "id"},
      {"FeedbackLabel", "POST", "/api/v1/anomalies/an-1/feedback", R"({"label":"maybe"})", j, 422,
       "label"},
      {"FeedbackMissingLabel", "POST", "/api/v1/anomalies/an-1/feedback", R"({"note":"x"})", j, 422,
       "label"},
      {"FeedbackNoteType", "POST", "/api/v1/anomalies/an-1/feedback",
       R"({"label":"confirmed","note":3})", j, 422, "note"},
      {"FeedbackMalformed", "POST", "/api/v1/anomalies/an-1/feedback", "{", j, 400, "body"},
      {"FeedbackContentType", "POST", "/api/v1/anomalies/an-1/feedback", R"({"label":"confirmed"})",
       "text/plain", 415, "Content-Type"},
      {"BatchMalformed", "POST", "/api/v1/telemetry/batch", "{", j, 400, ""},
      {"BatchNotObject", "POST", "/api/v1/telemetry/batch", "[]", j, 400, "body"},
      {"BatchMissing", "POST", "/api/v1/telemetry/batch", "{}", j, 422, "telemetry"},
      {"BatchNotArray", "POST", "/api/v1/telemetry/batch", R"({"telemetry":{}})", j, 422,
       "telemetry"},
      {"BatchEmpty", "POST", "/api/v1/telemetry/batch", R"({"telemetry":[]})", j, 422, "telemetry"},
      {"BatchTooMany", "POST", "/api/v1/telemetry/batch", big, j, 422, "telemetry"},
      {"BatchUnknownField", "POST", "/api/v1/telemetry/batch", R"({"telemetry":[],"x":1})", j, 422,
       "x"},
      {"BatchAllInvalid", "POST", "/api/v1/telemetry/batch",
       R"({"telemetry":[{"voltage":-1,"temperature":20,"gyro":0},{"temperature":20,"gyro":0}]})", j,
       422, "telemetry[0].voltage"},
      {"BatchContentType", "POST", "/api/v1/telemetry/batch", R"({"telemetry":[]})", "text/plain",
       415, "Content-Type"},
  };
}

class MissionBadInputTest : public ::testing::TestWithParam<BadCase> {
 protected:
  static void SetUpTestSuite() { svc_ = new ServiceProcess(); }
  static void TearDownTestSuite() {
    delete svc_;
    svc_ = nullptr;
  }
  static ServiceProcess* svc_;
};
ServiceProcess* MissionBadInputTest::svc_ = nullptr;

TEST_P(MissionBadInputTest, AnsweredWithProblemNamingTheField) {
  const BadCase& c = GetParam();
  ASSERT_TRUE(svc_->started());
  http::HttpClient client("127.0.0.1", svc_->api_port());
  auto r = client.Send(c.method, c.target, c.body, c.content_type);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, c.status) << r->body;
  EXPECT_EQ(r->headers["content-type"], "application/problem+json");
  auto v = json::parse(r->body);
  EXPECT_EQ(v.at("status").to_number<int64_t>(), c.status);
  if (!c.field.empty()) {
    const auto& errs = v.at("errors").as_array();
    ASSERT_FALSE(errs.empty()) << r->body;
    EXPECT_EQ(errs[0].at("field").as_string(), c.field) << r->body;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, MissionBadInputTest, ::testing::ValuesIn(BadCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MissionConfigTest, BadPolicyFileFailsStartWithExitCode2) {
  auto [rc, out] = testing::RunToCompletion(
      {"serve", "--port", "0", "--metrics-port", "0", "--mission-policy", "/nonexistent.yaml"});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("ASTRAGUARD_MISSION_POLICY"), std::string::npos) << out;
  auto shipped = testing::RunToCompletion(
      {"check-config", "--mission-policy", AG_POLICY_FILE, "--history-capacity", "500"});
  EXPECT_EQ(shipped.first, 0);
  EXPECT_NE(shipped.second.find("ASTRAGUARD_HISTORY_CAPACITY=500"), std::string::npos)
      << shipped.second;
}

// With auto_safe_mode on and an immediate CRITICAL rule, one anomaly moves the phase to
// SAFE_MODE: visibly (response, phase history, metrics) and reversibly (operator POST).
TEST(MissionAutoSafeModeTest, EscalationIsExplicitRecordedAndReversible) {
  std::ifstream in(AG_POLICY_FILE);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string yaml = ss.str();
  auto replace = [&](const std::string& from, const std::string& to) {
    auto pos = yaml.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    yaml.replace(pos, from.size(), to);
  };
  replace("auto_safe_mode: false", "auto_safe_mode: true");
  replace("{severity_min: CRITICAL, persist_min_seconds: 600, action: ENTER_SAFE_MODE}",
          "{severity_min: CRITICAL, action: ENTER_SAFE_MODE}");
  const std::string path = ::testing::TempDir() + "/auto_safe_mode_policy.yaml";
  std::ofstream(path) << yaml;

  ServiceProcess svc({"serve", "--mission-policy", path});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto r = c.Send("POST", "/api/v1/telemetry", kBrownout);
  ASSERT_TRUE(r.ok());
  auto v = Json(r->body).as_object();
  EXPECT_EQ(v.at("recommended_action").as_string(), "ENTER_SAFE_MODE");
  EXPECT_EQ(v.at("action_status").as_string(), "executed");
  EXPECT_EQ(v.at("phase_changed_to").as_string(), "SAFE_MODE");
  auto phase = Json(c.Send("GET", "/api/v1/phase")->body).as_object();
  EXPECT_EQ(phase.at("phase").as_string(), "SAFE_MODE");
  auto last = phase.at("history").as_array().back().as_object();
  EXPECT_TRUE(last.at("automatic").as_bool());
  EXPECT_NE(std::string(last.at("reason").as_string()).find("SAT-7"), std::string::npos);
  // Later anomalies are still handled under the SAFE_MODE policy, not silently logged.
  auto later = Json(c.Send("POST", "/api/v1/telemetry",
                           R"({"satellite_id":"SAT-8","voltage":28,"temperature":95,"gyro":0})")
                        ->body);
  EXPECT_EQ(later.at("recommended_action").as_string(), "THERMAL_SAFE_ATTITUDE");
  auto back = c.Send("POST", "/api/v1/phase", R"({"phase":"NOMINAL_OPS","reason":"recovered"})");
  EXPECT_EQ(back->status, 200) << back->body;
  EXPECT_EQ(Json(c.Send("GET", "/api/v1/phase")->body).at("phase").as_string(), "NOMINAL_OPS");
  auto metrics = c.Send("GET", "/metrics")->body;
  EXPECT_NE(metrics.find(R"(astra_phase_transitions_total{kind="automatic"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics.find(R"(astra_recovery_actions_total{status="executed",type="ENTER_SAFE_MODE"} 1)"),
      std::string::npos);
}

TEST(SimulateCommandTest, WritesDeterministicNdjsonAndRejectsBadFaults) {
  auto [rc, out] = testing::RunToCompletion({"simulate", "--satellites", "2", "--samples", "3"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 6);
  auto again = testing::RunToCompletion({"simulate", "--satellites", "2", "--samples", "3"});
  EXPECT_EQ(again.second, out);
  EXPECT_EQ(testing::RunToCompletion({"simulate", "--fault", "meteor@10"}).first, 2);
  EXPECT_EQ(testing::RunToCompletion({"simulate", "--format", "xml"}).first, 2);
}

TEST(SimulateCommandTest, PostsFaultScenarioToServiceWhichTypesIt) {
  ServiceProcess svc;
  ASSERT_TRUE(svc.started());
  auto [rc, out] = testing::RunToCompletion(
      {"simulate", "--target", "http://127.0.0.1:" + std::to_string(svc.api_port()), "--satellites",
       "2", "--samples", "90", "--rate", "0", "--batch", "25", "--fault",
       "thermal_runaway@100+800#1", "--print-anomalies"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ANOMALY sat=SAT-002 type=thermal_fault"), std::string::npos) << out;
  EXPECT_NE(out.find("action=THERMAL_SAFE_ATTITUDE"), std::string::npos) << out;
  EXPECT_EQ(out.find("sat=SAT-001"), std::string::npos) << out;  // the nominal satellite is quiet
  EXPECT_NE(out.find("records=180 2xx=8"), std::string::npos) << out;
}

}  // namespace
}  // namespace astraguard
