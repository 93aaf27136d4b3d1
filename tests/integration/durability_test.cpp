// Crash durability of the embedded anomaly history (ASTRAGUARD_DATA_DIR): the real binary is
// killed with SIGKILL while clients post anomalies; after a restart on the same directory every
// anomaly id a client received is in the history. A torn tail is dropped with a warning.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::ServiceProcess;

class DurabilityTest : public ::testing::Test {
 protected:
  DurabilityTest()
      : dir_(fs::temp_directory_path() / ("astraguard-durability-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
  }
  ~DurabilityTest() override { fs::remove_all(dir_); }
  std::map<std::string, std::string> Env() const {
    return {{"ASTRAGUARD_DATA_DIR", dir_.string()}, {"ASTRAGUARD_DATA_FSYNC", "none"}};
  }
  fs::path dir_;
};

TEST_F(DurabilityTest, KillDashNineUnderLoadLosesNoAcknowledgedAnomaly) {
  std::vector<std::string> ids;
  {
    ServiceProcess svc({"serve"}, Env());
    ASSERT_TRUE(svc.started()) << svc.output();
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        http::HttpClient client("127.0.0.1", svc.api_port());
        const std::string body = R"({"satellite_id":"SAT-)" + std::to_string(t) +
                                 R"(","voltage":20.5,"temperature":20,"gyro":0.001})";
        while (!stop.load()) {
          auto r = client.Send("POST", "/api/v1/telemetry", body, "application/json");
          if (!r.ok() || r->status != 200) return;  // the kill
          auto v = json::parse(r->body);
          const json::value& id = v.at("anomaly_id");
          if (!id.is_string()) continue;
          std::lock_guard lock(mu);
          ids.emplace_back(id.as_string());
        }
      });
    }
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu);
        if (ids.size() >= 300) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    svc.Signal(SIGKILL);  // mid-load: requests are in flight
    stop = true;
    for (auto& c : clients) c.join();
    svc.Wait();
  }
  ASSERT_GE(ids.size(), 50u);

  ServiceProcess again({"serve"}, Env());
  ASSERT_TRUE(again.started()) << again.output();
  EXPECT_NE(again.output().find("anomaly_log_replayed"), std::string::npos) << again.output();
  http::HttpClient client("127.0.0.1", again.api_port());
  size_t missing = 0;
  for (const std::string& id : ids) {
    auto r = client.Send("GET", "/api/v1/anomalies/" + id, "", "");
    ASSERT_TRUE(r.ok());
    if (r->status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << ids.size() << " acknowledged anomalies";
  // New anomalies continue the id sequence instead of reusing an acknowledged id.
  auto r = client.Send("POST", "/api/v1/telemetry",
                       R"({"satellite_id":"SAT-9","voltage":20.5,"temperature":20,"gyro":0.001})",
                       "application/json");
  ASSERT_TRUE(r.ok());
  const std::string fresh(json::parse(r->body).at("anomaly_id").as_string());
  EXPECT_EQ(std::find(ids.begin(), ids.end(), fresh), ids.end()) << fresh;
}

TEST_F(DurabilityTest, TornTailIsDroppedWithAWarningAndTheServiceStarts) {
  std::string id;
  {
    ServiceProcess svc({"serve"}, Env());
    ASSERT_TRUE(svc.started()) << svc.output();
    http::HttpClient client("127.0.0.1", svc.api_port());
    auto r = client.Send("POST", "/api/v1/telemetry",
                         R"({"satellite_id":"SAT-1","voltage":20.5,"temperature":20,"gyro":0.001})",
                         "application/json");
    ASSERT_TRUE(r.ok());
    id = std::string(json::parse(r->body).at("anomaly_id").as_string());
  }
  std::ofstream(dir_ / "anomalies.log", std::ios::app) << "0badc0de {\"a\":{\"id\":\"an-";
  ServiceProcess svc({"serve"}, Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  const std::string out = svc.output();
  EXPECT_NE(out.find("torn last line"), std::string::npos) << out;
  http::HttpClient client("127.0.0.1", svc.api_port());
  auto r = client.Send("GET", "/api/v1/anomalies/" + id, "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(DurabilityConfigTest, BadFsyncPolicyIsAUsageError) {
  auto [code, out] = testing::RunToCompletion({"check-config"}, {{"ASTRAGUARD_DATA_FSYNC", "often"}});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("ASTRAGUARD_DATA_FSYNC"), std::string::npos) << out;
}

}  // namespace
}  // namespace astraguard
