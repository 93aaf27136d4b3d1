// End-to-end tests of hostile input against the real binary: values that used to crash the
// process (SIGSEGV on {"gyro":1e300} and friends) through the single and the batch endpoint and
// in extra channels, a body of 60,000 unknown keys, and hostile ASTRAGUARD_MODEL /
// ASTRAGUARD_MISSION_POLICY files (/dev/zero, a crafted model with a valid checksum).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard {
namespace {

namespace json = boost::json;
using testing::RunToCompletion;
using testing::ServiceProcess;

// True while the child runs (not exited, not a zombie waiting to be reaped).
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Field names listed in a problem+json body.
std::vector<std::string> ProblemFields(const std::string& body) {
  std::vector<std::string> out;
  const json::value v = json::parse(body);  // outlives the loop (a temporary would not)
  for (const auto& e : v.at("errors").as_array()) {
    out.emplace_back(e.at("field").as_string());
  }
  return out;
}

bool Lists(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

struct Hostile {
  const char* fragment;  // members appended to {"voltage":28,"temperature":20
  const char* field;     // the field the 422 must name
};

// Every input that crashed the service (the first record of a new satellite, so each test
// case uses its own satellite id), plus the extra-channel forms.
const Hostile kCrashers[] = {
    {R"("gyro":1e300)", "gyro"},
    {R"("gyro":-1e300)", "gyro"},
    {R"("gyro":1.2e40)", "gyro"},
    {R"("gyro":1.7976931348623157e308)", "gyro"},
    {R"("gyro":0,"current":1e41)", "current"},
    {R"("gyro":0,"current":1e300)", "current"},
    {R"("gyro":0,"wheel_speed":1e300)", "wheel_speed"},
    {R"("gyro":0,"channels":{"aux":1e308})", "channels.aux"},
    {R"("gyro":0,"channels":{"aux":-1e308})", "channels.aux"},
    {R"("gyro":0,"channels":{"aux":1e16})", "channels.aux"},
};

std::string Record(const Hostile& h, int satellite) {
  return R"({"satellite_id":"hostile-)" + std::to_string(satellite) +
         R"(","voltage":28,"temperature":20,)" + h.fragment + "}";
}

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = new ServiceProcess({"serve"}); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(service_->started()) << service_->output(); }

  http::ClientResponse Send(std::string_view method, std::string_view target,
                            std::string_view body = {}) {
    auto r = client_.Send(method, target, body);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : http::ClientResponse{};
  }
  void ExpectAlive(const std::string& after) {
    ASSERT_TRUE(Alive(service_->pid())) << "process died after " << after << "\n"
                                        << service_->output();
    http::HttpClient fresh("127.0.0.1", service_->api_port());
    auto live = fresh.Send("GET", "/health/live");
    ASSERT_TRUE(live.ok()) << after << ": " << live.status().message();
    EXPECT_EQ(live->status, 200) << after;
  }

  static ServiceProcess* service_;
  http::HttpClient client_{"127.0.0.1", service_->api_port()};
};

ServiceProcess* HostileInputTest::service_ = nullptr;

TEST_F(HostileInputTest, SingleEndpointAnswers422NamingTheField) {
  int sat = 0;
  for (const Hostile& h : kCrashers) {
    const std::string body = Record(h, ++sat);
    auto r = Send("POST", "/api/v1/telemetry", body);
    EXPECT_EQ(r.status, 422) << body << " -> " << r.body;
    if (r.status == 422) {
      EXPECT_TRUE(Lists(ProblemFields(r.body), h.field)) << r.body;
    }
    ExpectAlive(body);
  }
}

TEST_F(HostileInputTest, BatchEndpointAnswers422NamingTheField) {
  int sat = 100;
  for (const Hostile& h : kCrashers) {
    // Alone: the whole batch is invalid, a 422 problem naming telemetry[0].<field>.
    const std::string alone = R"({"telemetry":[)" + Record(h, ++sat) + "]}";
    auto r = Send("POST", "/api/v1/telemetry/batch", alone);
    EXPECT_EQ(r.status, 422) << alone << " -> " << r.body;
    if (r.status == 422) {
      EXPECT_TRUE(Lists(ProblemFields(r.body), std::string("telemetry[0].") + h.field)) << r.body;
    }
    ExpectAlive(alone);
    // Next to a valid record (of a new satellite too): that one is scored, this one rejected.
    const std::string valid = R"({"satellite_id":"hostile-ok-)" + std::to_string(sat) +
                              R"(","voltage":28,"temperature":20,"gyro":0.001})";
    ++sat;
    const std::string mixed = R"({"telemetry":[)" + valid + "," + Record(h, sat) + "]}";
    auto m = Send("POST", "/api/v1/telemetry/batch", mixed);
    ASSERT_EQ(m.status, 200) << mixed << " -> " << m.body;
    const auto results = json::parse(m.body).at("results").as_array();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].at("ok").as_bool());
    EXPECT_FALSE(results[1].at("ok").as_bool());
    EXPECT_EQ(results[1].at("errors").at(0).at("field").as_string(),
              std::string("telemetry[1].") + h.field)
        << m.body;
    ExpectAlive(mixed);
  }
}

TEST_F(HostileInputTest, PhysicalBoundsThemselvesAreAccepted) {
  auto r = Send("POST", "/api/v1/telemetry",
                R"({"satellite_id":"hostile-edge","voltage":28,"temperature":20,"gyro":100,)"
                R"("current":1000,"wheel_speed":100000,"channels":{"aux":1e15}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("is_anomaly").as_bool());  // far beyond the red limits
  ExpectAlive("the bounds");
}

TEST_F(HostileInputTest, ManyUnknownKeysGetAShortAnswer) {
  // Used to produce a 2.7 MB 422 listing every key.
  std::string body = R"({"voltage":28,"temperature":20,"gyro":0)";
  for (int i = 0; i < 60000; ++i) body += ",\"k" + std::to_string(i) + "\":1";
  body += "}";
  ASSERT_LT(body.size(), 1u << 20);  // under the body limit: it reaches the decoder
  auto r = Send("POST", "/api/v1/telemetry", body);
  ASSERT_EQ(r.status, 422) << r.body.substr(0, 500);
  EXPECT_LT(r.body.size(), 8u * 1024) << r.body.substr(0, 500);
  const auto fields = ProblemFields(r.body);
  EXPECT_EQ(fields.size(), 20u);
  EXPECT_EQ(fields.front(), "k0");
  EXPECT_NE(json::parse(r.body).at("detail").as_string().find("60000 fields are invalid"),
            std::string::npos)
      << r.body.substr(0, 500);
  ExpectAlive("60,000 unknown keys");
}

// A model file of `text` under a fresh temporary name.
std::string WriteTemp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ag_hostile_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path.string(), std::ios::binary) << text;
  return path.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Recomputes the FNV-1a 64 checksum of a model text: a crafted file carries a valid one.
std::string Resealed(const std::string& text) {
  const std::size_t l1 = text.find('\n');
  const std::size_t l2 = text.find('\n', l1 + 1);
  const std::string body = text.substr(l2 + 1);
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(h));
  return text.substr(0, l1 + 1) + "checksum fnv1a64 " + sum + "\n" + body;
}

// Serves with `model`, checks that the detector is degraded with `error_part` in model_error and
// that records (including the former crashers' valid neighbours) are still scored.
void ExpectDegradedServe(const std::string& model, const std::string& error_part) {
  const auto t0 = std::chrono::steady_clock::now();
  ServiceProcess svc({"serve", "--model", model});
  ASSERT_TRUE(svc.started()) << svc.output();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto health = c.Send("GET", "/health");
  ASSERT_TRUE(health.ok());
  const auto h = json::parse(health->body);
  EXPECT_EQ(h.at("status").as_string(), "degraded") << health->body;
  const auto& det = h.at("components").at("detector");
  EXPECT_EQ(det.at("status").as_string(), "degraded") << health->body;
  EXPECT_NE(std::string(det.at("model_error").as_string()).find(error_part), std::string::npos)
      << health->body;
  auto r = c.Send("POST", "/api/v1/telemetry",
                  R"({"satellite_id":"deg-1","voltage":28,"temperature":20,"gyro":0.001,)"
                  R"("current":1.5,"wheel_speed":2100})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Alive(svc.pid()));
}

TEST(HostileModelTest, DevZeroModelServesDegraded) {
  // Used to read /dev/zero until 4 GB of RSS.
  ExpectDegradedServe("/dev/zero", "not a regular file");
}

TEST(HostileModelTest, CraftedModelWithValidChecksumServesDegraded) {
  const std::string shipped =
      (std::filesystem::path(ASTRAGUARD_BINARY).parent_path() / "models" / "default.model")
          .string();
  std::string text = ReadFile(shipped);
  ASSERT_FALSE(text.empty()) << shipped;
  // The first channel becomes a method-1 (discord) channel with a 1-value reference: it read
  // and wrote past the heap at start-up.
  const std::size_t method = text.find(" method 0 ");
  ASSERT_NE(method, std::string::npos);
  text.replace(method, 10, " method 1 ");
  const std::size_t ref = text.find("\nreference 0\n");
  ASSERT_NE(ref, std::string::npos);
  text.replace(ref, 13, "\nreference 1 28\n");
  const std::string path = WriteTemp("crafted.model", Resealed(text));
  ExpectDegradedServe(path, "reference");
  std::filesystem::remove(path);
}

TEST(HostilePolicyTest, DevZeroPolicyIsAConfigurationError) {
  // A bad policy file stops start-up with exit code 2 and a message naming the variable; for
  // /dev/zero it used to read forever instead.
  const auto t0 = std::chrono::steady_clock::now();
  auto [code, out] = RunToCompletion(
      {"serve", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0"},
      {{"ASTRAGUARD_MISSION_POLICY", "/dev/zero"}});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("ASTRAGUARD_MISSION_POLICY"), std::string::npos) << out;
  EXPECT_NE(out.find("not a regular file"), std::string::npos) << out;
}

}  // namespace
}  // namespace astraguard
