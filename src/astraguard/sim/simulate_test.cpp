#include "astraguard/sim/simulate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>

#include "astraguard/http/client/testing/scripted_server.hpp"

namespace astraguard::sim {
namespace {

using http::testing::Reply;
using http::testing::ScriptedServer;

TEST(PostRecordsTest, BatchesRecordsAndPrintsReportedAnomalies) {
  const std::string body =
      "{\"results\":[{\"is_anomaly\":true,\"satellite_id\":\"SAT-001\",\"anomaly_type\":"
      "\"wheel_fault\",\"severity_level\":\"HIGH\",\"recommended_action\":\"DESATURATE_WHEELS\","
      "\"mission_phase\":\"NOMINAL_OPS\",\"anomaly_id\":\"a1\",\"action_status\":\"recommended\"},{"
      "\"is_anomaly\":false}]}";
  ScriptedServer srv({Reply(200, body)}, 1000);
  SimulateOptions o;
  o.fleet.satellites = 2;
  o.samples = 5;
  o.batch_size = 4;
  o.rate = 0;
  o.print_anomalies = true;
  o.target = "http://127.0.0.1:" + std::to_string(srv.port());
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 0) << err.str();
  EXPECT_EQ(st.records, 10);
  EXPECT_EQ(st.requests, 3);  // 4 + 4 + final 2
  EXPECT_EQ(st.anomalies, 3);
  ASSERT_EQ(srv.requests.size(), 3u);
  EXPECT_NE(srv.requests[0].find("POST /api/v1/telemetry/batch HTTP/1.1"), std::string::npos);
  EXPECT_NE(srv.requests[0].find("{\"telemetry\":[{\"satellite_id\":\"SAT-001\""),
            std::string::npos);
  EXPECT_NE(out.str().find("ANOMALY sat=SAT-001 type=wheel_fault severity=HIGH "
                           "action=DESATURATE_WHEELS phase=NOMINAL_OPS id=a1 status=recommended"),
            std::string::npos);
}

TEST(PostRecordsTest, PassesEachRecordWithItsVerdictInOrder) {
  // The second record of each batch is flagged; the first is rejected and has no verdict.
  const std::string body =
      "{\"results\":[{\"index\":1,\"ok\":true,\"is_anomaly\":true,\"satellite_id\":\"SAT-002\","
      "\"anomaly_type\":\"power_fault\",\"severity_level\":\"CRITICAL\","
      "\"recommended_action\":\"REDUCE_POWER_LOAD\"},{\"index\":0,\"ok\":false,\"errors\":[]}]}";
  ScriptedServer srv({Reply(200, body)}, 1000);
  SimulateOptions o;
  o.fleet.satellites = 2;
  o.fleet.faults.push_back({1, {FaultKind::kPowerBrownout, 0.0, 1000.0}});
  o.samples = 3;
  o.batch_size = 2;
  o.rate = 0;
  o.target = "http://127.0.0.1:" + std::to_string(srv.port());
  std::vector<std::pair<Record, Verdict>> seen;
  o.on_verdict = [&seen](const Record& r, const Verdict& v) { seen.emplace_back(r, v); };
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 0) << err.str();
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) {
    const auto& [record, verdict] = seen[i];
    EXPECT_EQ(record.satellite_id, "SAT-002");
    EXPECT_EQ(record.fault, FaultKind::kPowerBrownout);
    EXPECT_DOUBLE_EQ(record.t_s, 10.0 * static_cast<double>(i + 1));
    EXPECT_TRUE(verdict.is_anomaly);
    EXPECT_EQ(verdict.anomaly_type, "power_fault");
    EXPECT_EQ(verdict.severity_level, "CRITICAL");
    EXPECT_EQ(verdict.recommended_action, "REDUCE_POWER_LOAD");
  }
  EXPECT_EQ(st.anomalies, 3);
  EXPECT_EQ(out.str(), "");  // nothing per record without print_anomalies
}

TEST(PostRecordsTest, StopsWhenAskedEvenWithLongDuration) {
  ScriptedServer srv({Reply(200, "{}")}, 100000);
  std::atomic<bool> stop{false};
  SimulateOptions o;
  o.fleet.satellites = 1;
  o.rate = 50;
  o.duration_s = 3600;
  o.stop = &stop;
  o.target = "127.0.0.1:" + std::to_string(srv.port());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 0) << err.str();
  stopper.join();
  EXPECT_LT(st.elapsed_s, 5.0);
  EXPECT_GT(st.requests, 2);
}

TEST(PostRecordsTest, DemoOptionsFeedThreeSatellitesUntilStopped) {
  std::atomic<bool> stop{false};
  SimulateOptions o = DemoOptions(8000, &stop);
  EXPECT_EQ(o.fleet.satellites, 3);
  EXPECT_EQ(*o.target, "http://127.0.0.1:8000");
  EXPECT_FALSE(o.print_anomalies);  // the demo reports episodes, not one line per record
  EXPECT_EQ(o.stop, &stop);
  Fleet f(o.fleet);
  EXPECT_GT(f.schedule().size(), 10u);               // faults keep coming for the whole demo
  EXPECT_EQ(f.schedule()[0].episode.start_s, 60.0);  // and the first one comes early
}

TEST(PostRecordsTest, CountsServerErrorsAndFails) {
  ScriptedServer srv({Reply(503, "{}")}, 1000);
  SimulateOptions o;
  o.fleet.satellites = 1;
  o.samples = 3;
  o.rate = 0;
  o.target = "127.0.0.1:" + std::to_string(srv.port());
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 1);
  EXPECT_EQ(st.server_5xx, 3);
}

}  // namespace
}  // namespace astraguard::sim
