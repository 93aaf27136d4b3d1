// End-to-end tests of the real `astraguard` binary over HTTP on free ports.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kGuideExample =
    R"({"voltage":12.5,"temperature":45.0,"gyro":0.1,"current":5.0,"wheel_speed":10.5})";
constexpr const char* kNominal =
    R"({"voltage":28.1,"temperature":21.5,"gyro":0.001,"current":3.2,"wheel_speed":2400,"satellite_id":"sat-1"})";

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service_ = new ServiceProcess({"serve"}, {{"ASTRAGUARD_READ_TIMEOUT_MS", "500"}});
    ASSERT_TRUE(service_->started()) << service_->output();
  }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  http::HttpClient Client() { return http::HttpClient("127.0.0.1", service_->api_port()); }
  static ServiceProcess* service_;
};
ServiceProcess* ServiceTest::service_ = nullptr;

TEST_F(ServiceTest, HealthReportsStatusVersionUptimeAndComponents) {
  auto c = Client();
  auto r = c.Send("GET", "/health");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  auto v = json::parse(r->body).as_object();
  EXPECT_EQ(v.at("status"), "healthy");
  EXPECT_EQ(v.at("version"), "0.1.0");
  EXPECT_GE(v.at("uptime_seconds").to_number<double>(), 0.0);
  EXPECT_TRUE(v.at("components").as_object().contains("detector"));
  EXPECT_EQ(c.Send("GET", "/health/live")->status, 200);
  EXPECT_EQ(c.Send("GET", "/health/ready")->status, 200);
}

TEST_F(ServiceTest, NominalTelemetryIsNotAnomalous) {
  auto c = Client();
  auto r = c.Send("POST", "/api/v1/telemetry", kNominal);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto v = json::parse(r->body).as_object();
  EXPECT_EQ(v.at("is_anomaly"), false);
  EXPECT_EQ(v.at("anomaly_type"), "normal");
  EXPECT_EQ(v.at("severity_level"), "LOW");
  EXPECT_EQ(v.at("satellite_id"), "sat-1");
  EXPECT_FALSE(v.contains("id"));          // anomaly_id is the one id of a response
  EXPECT_EQ(v.at("detector"), "default");  // the default model built next to the binary
  for (const char* f : {"anomaly_score", "severity_score", "confidence", "recommended_action",
                        "timestamp", "mission_phase"}) {
    EXPECT_TRUE(v.contains(f)) << f;
  }
}

TEST_F(ServiceTest, OutOfLimitTelemetryIsExplained) {
  auto c = Client();
  auto r = c.Send("POST", "/api/v1/telemetry",
                  R"({"voltage":28,"temperature":20,"gyro":0,"wheel_speed":6100,
                      "timestamp":"2026-11-25T12:00:00Z"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto v = json::parse(r->body).as_object();
  EXPECT_EQ(v.at("is_anomaly"), true);
  EXPECT_EQ(v.at("anomaly_type"), "wheel_fault");
  EXPECT_EQ(v.at("timestamp"), "2026-11-25T12:00:00.000000Z");
  auto contributing = v.at("contributing_channels").as_array();
  ASSERT_FALSE(contributing.empty());
  EXPECT_EQ(contributing[0].at("channel"), "wheel_speed");
  EXPECT_EQ(contributing[0].at("reason"), "wheel_speed 6100 RPM above red-high 6000 RPM");
  // The response's anomaly_id is the one the lookup takes, and the stored anomaly has the
  // response's field names.
  auto stored = c.Send("GET", "/api/v1/anomalies/" + std::string(v.at("anomaly_id").as_string()));
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->status, 200) << stored->body;
  auto a = json::parse(stored->body).as_object();
  EXPECT_EQ(a.at("anomaly_id"), v.at("anomaly_id"));
  for (const char* f :
       {"satellite_id", "anomaly_score", "severity_score", "severity_level", "confidence",
        "anomaly_type", "classification", "mission_phase", "recommended_action", "action_status",
        "escalated", "recurrence_count", "reasoning", "timestamp"}) {
    EXPECT_TRUE(a.contains(f)) << f;
    EXPECT_TRUE(v.contains(f)) << f;
  }
  EXPECT_EQ(a.at("contributing_channels"), v.at("contributing_channels"));
}

TEST_F(ServiceTest, MetricsOnBothPortsAndOnlyMetricsAndHealthOnTheMetricsPort) {
  auto c = Client();
  ASSERT_EQ(c.Send("POST", "/api/v1/telemetry", kNominal)->status, 200);
  auto api = c.Send("GET", "/metrics");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(api->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(api->body.find("astra_http_requests_total{endpoint=\"/api/v1/telemetry\","
                           "method=\"POST\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(api->body.find("process_resident_memory_bytes"), std::string::npos);
  http::HttpClient m("127.0.0.1", service_->metrics_port());
  auto scrape = m.Send("GET", "/metrics");
  ASSERT_TRUE(scrape.ok());
  EXPECT_EQ(scrape->status, 200);
  EXPECT_NE(scrape->body.find("astra_http_request_duration_seconds_bucket"), std::string::npos);
  // Probes get through the metrics listener's own connection cap when the API one is full.
  EXPECT_EQ(m.Send("GET", "/health")->status, 200);
  EXPECT_EQ(m.Send("GET", "/health/live")->status, 200);
  EXPECT_EQ(m.Send("GET", "/health/ready")->status, 200);
  EXPECT_EQ(m.Send("POST", "/api/v1/telemetry", kNominal)->status, 404);
  EXPECT_EQ(m.Send("GET", "/api/v1/anomalies")->status, 404);
}

// ---- bad input: every case gets the right 4xx and the service keeps serving ----

struct BadRequest {
  const char* name;
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
  int status;
  const char* field;  // an offending field the problem must name, or nullptr
};

std::vector<BadRequest> BadRequests() {
  const std::string j = "application/json";
  auto t = [&](const char* name, std::string body, int status, const char* field = nullptr) {
    return BadRequest{name, "POST", "/api/v1/telemetry", j, std::move(body), status, field};
  };
  std::string deep = "{\"voltage\":28,\"temperature\":20,\"gyro\":0,\"channels\":" +
                     std::string(40, '[') + std::string(40, ']') + "}";
  std::string many = R"({"voltage":28,"temperature":20,"gyro":0,"channels":{)";
  for (int i = 0; i < 65; ++i) many += (i ? ",\"c" : "\"c") + std::to_string(i) + "\":1";
  many += "}}";
  std::string long_id = R"({"voltage":28,"temperature":20,"gyro":0,"satellite_id":")" +
                        std::string(65, 'a') + "\"}";
  return {
      t("empty body", "", 400),
      t("not json", "hello", 400),
      t("truncated object", R"({"voltage":28,"temperature":20)", 400),
      t("truncated string", R"({"voltage":28,"satellite_id":"ab)", 400),
      t("trailing comma", R"({"voltage":28,"temperature":20,"gyro":0,})", 400),
      t("single quotes", R"({'voltage':28})", 400),
      t("comment", R"({"voltage":28,"temperature":20,"gyro":0 /* hi */})", 400),
      t("NaN literal", R"({"voltage":NaN,"temperature":20,"gyro":0})", 400),
      t("Infinity literal", R"({"voltage":28,"temperature":Infinity,"gyro":0})", 400),
      t("negative Infinity", R"({"voltage":28,"temperature":20,"gyro":-Infinity})", 400),
      t("1e309 overflows", R"({"voltage":28,"temperature":20,"gyro":1e309})", 422, "gyro"),
      t("-1e400 overflows", R"({"voltage":-1e400,"temperature":20,"gyro":0})", 422, "voltage"),
      t("duplicate key", R"({"voltage":28,"voltage":99,"temperature":20,"gyro":0})", 400,
        "voltage"),
      t("invalid utf-8", "{\"voltage\":28,\"temperature\":20,\"gyro\":0,\"satellite_id\":\"\xc3\x28\"}",
        400),
      t("trailing garbage", R"({"voltage":28,"temperature":20,"gyro":0}{})", 400),
      t("deep nesting", deep, 400),
      t("array body", "[1,2]", 422, "body"),
      t("null body", "null", 422, "body"),
      t("number body", "42", 422, "body"),
      t("missing voltage", R"({"temperature":20,"gyro":0})", 422, "voltage"),
      t("missing everything", "{}", 422, "temperature"),
      t("voltage as string", R"({"voltage":"28","temperature":20,"gyro":0})", 422, "voltage"),
      t("voltage as bool", R"({"voltage":true,"temperature":20,"gyro":0})", 422, "voltage"),
      t("voltage null", R"({"voltage":null,"temperature":20,"gyro":0})", 422, "voltage"),
      t("voltage above 50", R"({"voltage":50.01,"temperature":20,"gyro":0})", 422, "voltage"),
      t("voltage negative", R"({"voltage":-1,"temperature":20,"gyro":0})", 422, "voltage"),
      t("temperature below -100", R"({"voltage":28,"temperature":-101,"gyro":0})", 422,
        "temperature"),
      t("temperature above 150", R"({"voltage":28,"temperature":151,"gyro":0})", 422,
        "temperature"),
      t("gyro object", R"({"voltage":28,"temperature":20,"gyro":{}})", 422, "gyro"),
      t("negative current", R"({"voltage":28,"temperature":20,"gyro":0,"current":-0.1})", 422,
        "current"),
      t("negative wheel speed", R"({"voltage":28,"temperature":20,"gyro":0,"wheel_speed":-1})",
        422, "wheel_speed"),
      t("unknown field", R"({"voltage":28,"temperature":20,"gyro":0,"mode":"x"})", 422, "mode"),
      t("bad timestamp", R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":"now"})", 422,
        "timestamp"),
      t("timestamp without zone",
        R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":"2026-01-04T12:00:00"})", 422,
        "timestamp"),
      t("timestamp number", R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":17e8})", 422,
        "timestamp"),
      t("satellite id with space",
        R"({"voltage":28,"temperature":20,"gyro":0,"satellite_id":"sat 1"})", 422,
        "satellite_id"),
      t("satellite id too long", long_id, 422, "satellite_id"),
      t("satellite id empty", R"({"voltage":28,"temperature":20,"gyro":0,"satellite_id":""})",
        422, "satellite_id"),
      t("channels not object", R"({"voltage":28,"temperature":20,"gyro":0,"channels":[1]})", 422,
        "channels"),
      t("channel value string",
        R"({"voltage":28,"temperature":20,"gyro":0,"channels":{"bus_b":"3.3"}})", 422,
        "channels.bus_b"),
      t("channel bad name", R"({"voltage":28,"temperature":20,"gyro":0,"channels":{"a/b":1}})",
        422, "channels.a/b"),
      t("too many channels", many, 422, "channels"),
      t("several bad fields", R"({"voltage":-5,"temperature":"x","gyro":null})", 422,
        "temperature"),
      {"wrong content type", "POST", "/api/v1/telemetry", "text/plain", kNominal, 415,
       "Content-Type"},
      {"form content type", "POST", "/api/v1/telemetry", "application/x-www-form-urlencoded",
       "voltage=28", 415, "Content-Type"},
      {"2 MiB body", "POST", "/api/v1/telemetry", j, std::string(2 << 20, ' '), 413, nullptr},
      {"unknown path", "GET", "/api/v1/nothing", j, "", 404, nullptr},
      {"wrong method on telemetry", "GET", "/api/v1/telemetry", j, "", 405, nullptr},
      {"wrong method on health", "DELETE", "/health", j, "", 405, nullptr},
  };
}

void PrintTo(const BadRequest& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ServiceTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(BadInputTest, AnsweredWithProblemAndServiceKeepsServing) {
  const BadRequest& c = GetParam();
  auto client = Client();
  auto r = client.Send(c.method, c.target, c.body, c.content_type);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, c.status) << r->body;
  EXPECT_EQ(r->headers["content-type"], "application/problem+json");
  auto problem = json::parse(r->body).as_object();
  EXPECT_EQ(problem.at("status").as_int64(), c.status);
  for (const char* k : {"type", "title", "detail", "errors"}) EXPECT_TRUE(problem.contains(k)) << k;
  if (c.field != nullptr) {
    bool named = false;
    for (const auto& e : problem.at("errors").as_array()) {
      named |= e.at("field").as_string() == c.field;
    }
    EXPECT_TRUE(named) << "field " << c.field << " not named in " << r->body;
  }
  if (c.status == 405) {
    EXPECT_FALSE(r->headers["allow"].empty());
  }
  auto fresh = Client();
  auto after = fresh.Send("POST", "/api/v1/telemetry", kNominal);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(BadRequests()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

// ---- protocol-level abuse, spoken in raw bytes ----

TEST_F(ServiceTest, ClientThatNeverFinishesHeadersGets408WhileOthersAreServed) {
  int slow = Connect(service_->api_port());
  ASSERT_GE(slow, 0);
  ASSERT_TRUE(SendAll(slow, "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Le"));
  auto c = Client();
  EXPECT_EQ(c.Send("GET", "/health/live")->status, 200);
  std::string reply = ReadUntilClose(slow, 3s);
  close(slow);
  EXPECT_EQ(StatusOf(reply), 408) << reply;
  EXPECT_EQ(c.Send("GET", "/health/live")->status, 200);
}

TEST_F(ServiceTest, BodyThatNeverArrivesGets408) {
  std::string reply = RawExchange(service_->api_port(),
                                  "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                  "application/json\r\nContent-Length: 100\r\n\r\n{\"volt",
                                  3s);
  EXPECT_EQ(StatusOf(reply), 408) << reply;
}

TEST_F(ServiceTest, OversizedHeadersGet431) {
  std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') +
                    "\r\n\r\n";
  std::string reply = RawExchange(service_->api_port(), req);
  EXPECT_EQ(StatusOf(reply), 431) << reply.substr(0, 200);
}

TEST_F(ServiceTest, GarbageRequestLineGets400) {
  std::string reply = RawExchange(service_->api_port(), "HELLO THERE\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  reply = RawExchange(service_->api_port(), "GET /health HTTP/1.1\r\nBad Header\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
}

TEST_F(ServiceTest, ChunkedBodyOverTheLimitGets413) {
  int fd = Connect(service_->api_port());
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n");
  std::string chunk(64 * 1024, ' ');
  char size_line[32];
  snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  for (int i = 0; i < 20; ++i) {
    if (!SendAll(fd, size_line + chunk + "\r\n")) break;
  }
  std::string reply = ReadUntilClose(fd, 3s);
  close(fd);
  EXPECT_EQ(StatusOf(reply), 413) << reply.substr(0, 200);
}

TEST_F(ServiceTest, KeepAliveServesManyRequestsOnOneConnection) {
  int fd = Connect(service_->api_port());
  ASSERT_GE(fd, 0);
  std::string pipeline;
  for (int i = 0; i < 20; ++i) pipeline += "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  pipeline += "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  SendAll(fd, pipeline);
  std::string reply = ReadUntilClose(fd, 3s);
  close(fd);
  size_t count = 0;
  for (size_t p = reply.find("HTTP/1.1 200"); p != std::string::npos;
       p = reply.find("HTTP/1.1 200", p + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 21u);
}

// ---- limits, lifecycle and exit codes ----

TEST(ServiceLimitsTest, ConnectionsBeyondTheCapAreRefusedWith503) {
  ServiceProcess svc({"serve", "--max-connections", "3"});
  ASSERT_TRUE(svc.started()) << svc.output();
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(Connect(svc.api_port()));
  std::this_thread::sleep_for(200ms);
  std::string reply = RawExchange(svc.api_port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 503) << reply;
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(200ms);
  http::HttpClient c("127.0.0.1", svc.api_port());
  EXPECT_EQ(c.Send("GET", "/health/live")->status, 200);
}

TEST(ServiceLimitsTest, IdleKeepAliveConnectionsAreClosed) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_IDLE_TIMEOUT_MS", "200"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  int fd = Connect(svc.api_port());
  SendAll(fd, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  auto start = std::chrono::steady_clock::now();
  std::string reply = ReadUntilClose(fd, 3s);
  auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_EQ(StatusOf(reply), 200);
  EXPECT_LT(waited, 2s);  // closed by the idle timeout, not by our 3 s read timeout
}

// 64 descriptors for a default cap of 10,000: start-up says it lowered the cap; 80 clients holding
// connections neither spin the accept loop nor blind the metrics listener.
TEST(ServiceLimitsTest, LowDescriptorLimitLowersTheCapAndNeverSpins) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_IDLE_TIMEOUT_MS", "30000"}}, /*nofile=*/64);
  ASSERT_TRUE(svc.started()) << svc.output();
  std::this_thread::sleep_for(100ms);
  const std::string out = svc.output();
  EXPECT_NE(out.find("connection_cap_lowered"), std::string::npos) << out;
  EXPECT_NE(out.find("max_connections=16"), std::string::npos) << out;
  std::vector<int> held;
  for (int i = 0; i < 80; ++i) {
    int fd = Connect(svc.api_port());
    if (fd >= 0) held.push_back(fd);
  }
  auto cpu_seconds = [&] {
    std::ifstream stat("/proc/" + std::to_string(svc.pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  const double before = cpu_seconds();
  std::this_thread::sleep_for(2s);
  EXPECT_LT(cpu_seconds() - before, 0.5) << "CPU seconds in 2 s with the API listener full";
  http::HttpClient m("127.0.0.1", svc.metrics_port());
  auto live = m.Send("GET", "/health/live");
  ASSERT_TRUE(live.ok()) << live.status().message();
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(m.Send("GET", "/metrics")->status, 200);
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(300ms);
  http::HttpClient c("127.0.0.1", svc.api_port());
  EXPECT_EQ(c.Send("GET", "/health/live")->status, 200);
}

TEST(HttpMethodTest, HeadIsAnsweredWithTheHeadOnly) {
  ServiceProcess svc;
  ASSERT_TRUE(svc.started()) << svc.output();
  std::string reply = RawExchange(svc.api_port(),
                                  "HEAD /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "POST /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  "Content-Length: 0\r\n\r\n",
                                  3s);
  EXPECT_EQ(StatusOf(reply), 200) << reply;
  const size_t second = reply.find("HTTP/1.1 404");
  ASSERT_NE(second, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(second - 4, 4), "\r\n\r\n") << reply;
  const size_t third = reply.find("HTTP/1.1 405", second);
  ASSERT_NE(third, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(third - 4, 4), "\r\n\r\n") << reply;
  EXPECT_NE(reply.find("Allow: GET, HEAD"), std::string::npos) << reply;
}

TEST(HttpFramingTest, SmugglingShapedRequestsAreRefusedAndClosed) {
  ServiceProcess svc;
  ASSERT_TRUE(svc.started()) << svc.output();
  const std::string tail = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const auto& [te, want] : std::vector<std::pair<std::string, int>>{
           {"xchunked", 400}, {"chunked, gzip", 400}, {"gzip, chunked", 501},
           {"identity", 400}}) {
    std::string reply = RawExchange(
        svc.api_port(),
        "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: " + te + "\r\n\r\n" + tail,
        3s);
    EXPECT_EQ(StatusOf(reply), want) << te << "\n" << reply;
    EXPECT_EQ(reply.find("HTTP/1.1 200"), std::string::npos) << te << ": second request served";
  }
  std::string reply = RawExchange(svc.api_port(), "GET /health/live HTTP/1.1\r\n\r\n", 3s);
  EXPECT_EQ(StatusOf(reply), 400) << reply;
}

TEST(ServiceLifecycleTest, GracefulShutdownFinishesInFlightRequests) {
  // JSON logs, so the "stopped" line below is checked as JSON.
  ServiceProcess svc({"serve"},
                     {{"ASTRAGUARD_DRAIN_TIMEOUT_MS", "5000"}, {"ENABLE_JSON_LOGGING", "true"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  // A request in flight: headers and half the body sent before the signal, the rest after.
  int fd = Connect(svc.api_port());
  std::string body = kNominal;
  SendAll(fd, "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                  body.substr(0, 10));
  // Load from other clients while the signal arrives.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 4; ++i) {
    load.emplace_back([&] {
      http::HttpClient c("127.0.0.1", svc.api_port());
      while (!stop.load()) {
        auto r = c.Send("POST", "/api/v1/telemetry", kNominal);
        if (!r.ok()) break;  // connection refused or closed once draining: never a bad answer
        (r->status == 200 ? ok : bad).fetch_add(1);
        if (r->headers["connection"] == "close") break;
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  svc.Signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  // The service is draining; the half-sent request must still complete.
  SendAll(fd, body.substr(10));
  std::string reply = ReadUntilClose(fd, 5s);
  close(fd);
  stop.store(true);
  for (auto& t : load) t.join();
  EXPECT_EQ(StatusOf(reply), 200) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_EQ(svc.Wait(), 0) << svc.output();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_NE(svc.output().find("\"drained\":true"), std::string::npos) << svc.output();
}

TEST(ServiceLifecycleTest, ReadyIs503WhileDraining) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_DRAIN_TIMEOUT_MS", "3000"}});
  ASSERT_TRUE(svc.started());
  http::HttpClient c("127.0.0.1", svc.api_port());
  ASSERT_EQ(c.Send("GET", "/health/ready")->status, 200);
  // A readiness probe already in progress (request line sent) when the signal arrives.
  int fd = Connect(svc.api_port());
  SendAll(fd, "GET /health/ready HTTP/1.1\r\n");
  std::this_thread::sleep_for(100ms);
  svc.Signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  SendAll(fd, "Host: x\r\n\r\n");
  std::string reply = ReadUntilClose(fd, 3s);
  close(fd);
  EXPECT_EQ(StatusOf(reply), 503) << reply;
  EXPECT_NE(reply.find("draining"), std::string::npos) << reply;
  EXPECT_EQ(svc.Wait(), 0);
}

TEST(CliTest, ExitCodesAndMessages) {
  auto [rc, out] = RunToCompletion({"version"});
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("astraguard 0.1.0"), std::string::npos);
  std::tie(rc, out) = RunToCompletion({"serve"}, {{"ASTRAGUARD_PROT", "1"}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("ASTRAGUARD_PROT"), std::string::npos) << out;
  std::tie(rc, out) = RunToCompletion({"serve", "--port", "http"});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("--port"), std::string::npos) << out;
  std::tie(rc, out) = RunToCompletion({"serve"}, {{"PROMETHEUS_PORT", "99999"}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("PROMETHEUS_PORT"), std::string::npos) << out;
  std::tie(rc, out) = RunToCompletion({"serve", "--no-such-flag"});
  EXPECT_EQ(rc, 2);
  std::tie(rc, out) = RunToCompletion({});
  EXPECT_EQ(rc, 2);
  std::tie(rc, out) = RunToCompletion({"serve", "--help"});
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("--metrics-port"), std::string::npos);
  std::tie(rc, out) = RunToCompletion({"check-config"}, {{"REDIS_URL", "redis://:pw@h:6379"}});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.find("pw@"), std::string::npos) << out;
  EXPECT_NE(out.find("ASTRAGUARD_PORT=8000"), std::string::npos) << out;
  // check-config shows the metrics credentials (password redacted) and the resolved endpoint;
  // the help the unknown-variable error points to lists every variable, flag or not.
  std::tie(rc, out) = RunToCompletion(
      {"check-config"},
      {{"JAEGER_HOST", "jaeger"}, {"METRICS_USER", "prom"}, {"METRICS_PASSWORD", "pw-secret"}});
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("METRICS_USER=prom  (env)"), std::string::npos) << out;
  EXPECT_NE(out.find("METRICS_PASSWORD=<redacted>  (env)"), std::string::npos) << out;
  EXPECT_EQ(out.find("pw-secret"), std::string::npos) << out;
  EXPECT_NE(out.find("OTLP traces endpoint = http://jaeger:4318/v1/traces (from JAEGER_HOST)"),
            std::string::npos)
      << out;
  std::tie(rc, out) = RunToCompletion({"check-config", "--help"});
  EXPECT_EQ(rc, 0);
  for (const char* var : {"ENABLE_JSON_LOGGING", "METRICS_PASSWORD", "OTEL_EXPORTER_JAEGER_ENDPOINT",
                          "OTEL_BSP_MAX_QUEUE_SIZE", "ASTRAGUARD_PORT, --port  (default: 8000)"}) {
    EXPECT_NE(out.find(var), std::string::npos) << var << "\n" << out;
  }
}

TEST(CliTest, PortInUseIsARuntimeFailure) {
  ServiceProcess first;
  ASSERT_TRUE(first.started());
  auto [rc, out] = RunToCompletion({"serve", "--host", "127.0.0.1", "--port",
                                    std::to_string(first.api_port()), "--metrics-port", "0"});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find(std::to_string(first.api_port())), std::string::npos) << out;
}

}  // namespace
}  // namespace astraguard::testing

namespace astraguard::testing {
namespace {

// A missing or corrupt model file: the service still starts and answers, detection runs on
// limits and robust statistics, /health says degraded, and the fallback is counted.
void ExpectLimitsOnlyFallback(const std::string& model_path) {
  ServiceProcess svc({"serve", "--model", model_path});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto h = c.Send("GET", "/health");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, 200);
  auto health = json::parse(h->body).as_object();
  EXPECT_EQ(health.at("status"), "degraded");
  const auto& det = health.at("components").at("detector").as_object();
  EXPECT_EQ(det.at("status"), "degraded");
  EXPECT_EQ(det.at("mode"), "limits+robust");
  EXPECT_FALSE(det.at("model_error").as_string().empty());
  auto r = c.Send("POST", "/api/v1/telemetry", kNominal);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body).at("detector"), "limits+robust");
  auto wheel = c.Send("POST", "/api/v1/telemetry",
                      R"({"voltage":28,"temperature":20,"gyro":0,"wheel_speed":6100})");
  EXPECT_EQ(json::parse(wheel->body).at("is_anomaly"), true);
  auto m = c.Send("GET", "/metrics");
  EXPECT_NE(m->body.find("astra_detection_fallback_total 2"), std::string::npos);
  // The log is written asynchronously: give the writer thread a moment.
  for (int i = 0; i < 100 && svc.output().find("model_unavailable") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(svc.output().find("model_unavailable"), std::string::npos) << svc.output();
}

TEST(ModelFallbackTest, MissingModelMeansLimitsOnlyAndDegraded) {
  ExpectLimitsOnlyFallback("/nonexistent/astraguard.model");
}

TEST(ModelFallbackTest, CorruptModelMeansLimitsOnlyAndDegraded) {
  char path[] = "/tmp/astraguard-corrupt-model-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string junk = "astraguard-model 1\nchecksum fnv1a64 0000000000000000\nconfig x=1\n";
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  close(fd);
  ExpectLimitsOnlyFallback(path);
  unlink(path);
}

}  // namespace
}  // namespace astraguard::testing

namespace astraguard::testing {
namespace {

TEST(HttpVersionTest, Http10KeepAliveIsConfirmedAndPlain10Closes) {
  ServiceProcess svc;
  ASSERT_TRUE(svc.started());
  std::string closed = RawExchange(svc.api_port(), "GET /health/live HTTP/1.0\r\n\r\n");
  EXPECT_EQ(StatusOf(closed), 200);
  EXPECT_NE(closed.find("Connection: close"), std::string::npos) << closed;
  int fd = Connect(svc.api_port());
  SendAll(fd, "GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
              "GET /health/live HTTP/1.0\r\n\r\n");
  std::string both = ReadUntilClose(fd, std::chrono::seconds(3));
  close(fd);
  EXPECT_NE(both.find("Connection: keep-alive"), std::string::npos) << both;
  // Both requests answered on the one connection; the second (no keep-alive) closes it.
  const size_t first = both.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << both;
  EXPECT_NE(both.find("HTTP/1.1 200", first + 1), std::string::npos) << both;
  EXPECT_NE(both.find("Connection: close"), std::string::npos) << both;
}

}  // namespace
}  // namespace astraguard::testing

namespace astraguard::testing {
namespace {

TEST(PhaseLimitsTest, LimitsFollowTheMissionPhase) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_LIMITS", "bus_b:-:-:3:4:A"},
                                 {"ASTRAGUARD_LIMITS_SAFE_MODE", "bus_b:-:-:8:10:A"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  const std::string rec =
      R"({"satellite_id":"%s","voltage":28.1,"temperature":20,"gyro":0.001,"channels":{"bus_b":5}})";
  auto post = [&](const char* sat) {
    std::string body = rec;
    body.replace(body.find("%s"), 2, sat);
    auto r = c.Send("POST", "/api/v1/telemetry", body);
    return json::parse(r->body).as_object();
  };
  auto nominal = post("sat-a");
  EXPECT_EQ(nominal.at("is_anomaly"), true);
  EXPECT_EQ(nominal.at("contributing_channels").as_array().at(0).at("reason"),
            "bus_b 5 A above red-high 4 A");
  auto phase = c.Send("POST", "/api/v1/phase", R"({"phase":"SAFE_MODE"})");
  ASSERT_EQ(phase->status, 200) << phase->body;
  auto safe = post("sat-b");
  for (const auto& ch : safe.at("contributing_channels").as_array()) {
    EXPECT_EQ(std::string(ch.at("reason").as_string()).find("red-high"), std::string::npos)
        << ch;
  }
}

}  // namespace
}  // namespace astraguard::testing
