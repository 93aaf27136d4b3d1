// Resilience end to end against the real binary: every chaos fault that needs no Redis injected
// and cleared through /api/v1/chaos with its effect and its metrics; the OTLP exporter's circuit
// breaker opening and closing while the OTLP receiver (the pinned npm decoder) is stopped and
// started again; /health listing components and breakers with state, last error and since.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "astraguard/http/client/client.hpp"
#include "astraguard/obs/otlp/testing/otlp_receiver.hpp"
#include "service_process.hpp"

namespace astraguard::testing {
namespace {

using namespace std::chrono_literals;
using obs::testing::OtlpReceiver;

std::string NominalAt(int i) {
  return fmt::format(
      R"({{"voltage":{:.3f},"temperature":{:.2f},"gyro":{:.4f},"current":{:.2f},"wheel_speed":{},"satellite_id":"sat-1"}})",
      28.1 + 0.01 * (i % 7), 21.5 + 0.1 * (i % 5), 0.001 * (i % 3), 3.2 + 0.01 * (i % 4), 2400 + i);
}

// The value of the sample of `name` whose labels include every `k="v"` of `labels` (-1: none).
double Sample(const std::string& scrape, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    bool all = true;
    for (const auto& [k, v] : labels)
      all = all && line.find(fmt::format("{}=\"{}\"", k, v)) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

class Service {
 public:
  // With ASTRAGUARD_API_KEYS in `env`, every call sends its first key.
  explicit Service(std::map<std::string, std::string> env)
      : headers_(KeyHeader(env)),
        proc_({"serve"}, std::move(env)),
        api_("127.0.0.1", proc_.api_port()),
        metrics_("127.0.0.1", proc_.metrics_port()) {}
  bool started() const { return proc_.started(); }
  std::string output() { return proc_.output(); }
  http::ClientResponse Call(std::string_view method, std::string_view target,
                            std::string_view body = "",
                            std::string_view content_type = "application/json") {
    auto r = api_.Send(method, target, body, content_type, headers_);
    EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().message();
    return r.ok() ? std::move(*r) : http::ClientResponse{};
  }
  boost::json::object Json(std::string_view method, std::string_view target,
                           std::string_view body = "") {
    auto r = Call(method, target, body);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
  }
  std::string Scrape() {
    auto r = metrics_.Send("GET", "/metrics");
    return r.ok() ? r->body : std::string();
  }
  // Polls /metrics until `pred` holds (or `timeout`); returns the last scrape.
  std::string WaitFor(const std::function<bool(const std::string&)>& pred,
                      std::chrono::milliseconds timeout = 10s,
                      const std::function<void()>& between = {}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string s = Scrape();
    while (!pred(s) && std::chrono::steady_clock::now() < deadline) {
      if (between) between();
      std::this_thread::sleep_for(20ms);
      s = Scrape();
    }
    return s;
  }

 private:
  static http::Headers KeyHeader(const std::map<std::string, std::string>& env) {
    auto it = env.find("ASTRAGUARD_API_KEYS");
    if (it == env.end()) return {};
    const std::string& keys = it->second;  // "role:key,..."
    const size_t colon = keys.find(':');
    return {{"Authorization", "Bearer " + keys.substr(colon + 1, keys.find(',') - colon - 1)}};
  }

  http::Headers headers_;
  ServiceProcess proc_;
  http::HttpClient api_;
  http::HttpClient metrics_;
};

std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env = {{"OTEL_SDK_DISABLED", "true"},
                                            {"ASTRAGUARD_HEALTH_INTERVAL_MS", "100"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

double Injections(const std::string& scrape, const char* type, const char* status) {
  return Sample(scrape, "astra_chaos_injections_total", {{"type", type}, {"status", status}});
}
double Recoveries(const std::string& scrape, const char* type) {
  return Sample(scrape, "astra_chaos_recovery_time_seconds_count", {{"type", type}});
}

TEST(ChaosApiTest, ErrorRateAnswersInjected503sUntilCleared) {
  Service svc(Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  EXPECT_EQ(Injections(svc.Scrape(), "error_rate", "started"), 0);
  auto started = svc.Call("POST", "/api/v1/chaos/error_rate",
                          R"({"duration_seconds": 60, "params": {"rate": 1}})");
  ASSERT_EQ(started.status, 200) << started.body;
  for (int i = 0; i < 5; ++i) {
    auto r = svc.Call("POST", "/api/v1/telemetry", NominalAt(i));
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("injected by the chaos experiment error_rate"), std::string::npos);
  }
  // Health, readiness and the chaos API itself are never disturbed.
  EXPECT_EQ(svc.Call("GET", "/health/ready").status, 200);
  EXPECT_EQ(svc.Call("GET", "/health").status, 200);
  auto list = svc.Json("GET", "/api/v1/chaos");
  ASSERT_EQ(list["experiments"].as_array().size(), 1u);
  EXPECT_EQ(list["experiments"].as_array()[0].at("fault"), "error_rate");
  std::string scrape = svc.Scrape();
  EXPECT_EQ(Injections(scrape, "error_rate", "started"), 1);
  EXPECT_EQ(Sample(scrape, "astra_http_requests_total",
                   {{"endpoint", "/api/v1/telemetry"}, {"status", "503"}}),
            5);
  EXPECT_EQ(svc.Call("DELETE", "/api/v1/chaos/error_rate").status, 200);
  EXPECT_EQ(svc.Call("POST", "/api/v1/telemetry", NominalAt(9)).status, 200);
  scrape = svc.WaitFor([](const std::string& s) { return Recoveries(s, "error_rate") == 1; });
  EXPECT_EQ(Injections(scrape, "error_rate", "stopped"), 1);
  EXPECT_EQ(Recoveries(scrape, "error_rate"), 1);
}

TEST(ChaosApiTest, PartialErrorRateFailsSomeRequestsOnly) {
  Service svc(Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  ASSERT_EQ(svc.Call("POST", "/api/v1/chaos/error_rate",
                     R"({"duration_seconds": 60, "params": {"rate": 0.5}})")
                .status,
            200);
  int failed = 0;
  for (int i = 0; i < 200; ++i)
    failed += svc.Call("POST", "/api/v1/telemetry", NominalAt(i)).status == 503;
  EXPECT_GT(failed, 60);
  EXPECT_LT(failed, 140);
}

TEST(ChaosApiTest, RequestLatencyDelaysApiRequestsAndEndsByItself) {
  Service svc(Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  ASSERT_EQ(svc.Call("POST", "/api/v1/chaos/request_latency",
                     R"({"duration_seconds": 1.5, "params": {"latency_ms": 300}})")
                .status,
            200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(svc.Call("POST", "/api/v1/telemetry", NominalAt(0)).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(svc.Call("GET", "/health").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 250ms);  // not disturbed
  const std::string scrape = svc.WaitFor(
      [](const std::string& s) { return Injections(s, "request_latency", "expired") == 1; });
  EXPECT_EQ(Injections(scrape, "request_latency", "expired"), 1);
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(svc.Call("POST", "/api/v1/telemetry", NominalAt(1)).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 250ms);
  EXPECT_TRUE(svc.Json("GET", "/api/v1/chaos")["experiments"].as_array().empty());
  svc.WaitFor([](const std::string& s) { return Recoveries(s, "request_latency") == 1; });
}

TEST(ChaosApiTest, ModelFailureDegradesDetectionWithoutFailingRequests) {
  Service svc(Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  auto before = svc.Json("POST", "/api/v1/telemetry", NominalAt(0));
  EXPECT_EQ(before["detector"], "default");
  const double fallbacks_before = Sample(svc.Scrape(), "astra_detection_fallback_total");
  ASSERT_EQ(svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 60})").status,
            200);
  for (int i = 1; i <= 3; ++i) {
    auto r = svc.Call("POST", "/api/v1/telemetry", NominalAt(i));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(R"("detector":"limits+robust")"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Sample(svc.Scrape(), "astra_detection_fallback_total"), fallbacks_before + 3);
  // /health: degraded, naming the detector and why; still ready.
  std::this_thread::sleep_for(300ms);  // a health pass
  auto health = svc.Json("GET", "/health");
  EXPECT_EQ(health["status"], "degraded");
  const auto& det = health["components"].at("detector").as_object();
  EXPECT_EQ(det.at("status"), "degraded");
  EXPECT_EQ(det.at("model_error"), "chaos experiment model_failure");
  EXPECT_EQ(det.at("last_error"), "chaos experiment model_failure");
  EXPECT_TRUE(det.at("since").is_string());
  EXPECT_EQ(svc.Call("GET", "/health/ready").status, 200);
  EXPECT_GT(Sample(svc.Scrape(), "astra_health_check_failures_total", {{"service", "detector"}}),
            0);
  ASSERT_EQ(svc.Call("DELETE", "/api/v1/chaos/model_failure").status, 200);
  const std::string scrape = svc.WaitFor([](const std::string& s) {
    return Recoveries(s, "model_failure") == 1 &&
           Sample(s, "astra_error_resolution_time_seconds_count", {{"error_type", "detector"}}) ==
               1;
  });
  EXPECT_EQ(Recoveries(scrape, "model_failure"), 1);
  EXPECT_EQ(Sample(scrape, "astra_error_resolution_time_seconds_count",
                   {{"error_type", "detector"}}),
            1);
  EXPECT_EQ(svc.Json("GET", "/health")["status"], "healthy");
  EXPECT_EQ(svc.Json("POST", "/api/v1/telemetry", NominalAt(9))["detector"], "default");
}

TEST(ChaosApiTest, BadRequestsAreProblemsNamingTheField) {
  Service svc(Env());
  ASSERT_TRUE(svc.started()) << svc.output();
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    int status;
    const char* field;
  } cases[] = {
      {"POST", "/api/v1/chaos/cosmic_ray", R"({"duration_seconds": 5})", 404, "fault"},
      {"DELETE", "/api/v1/chaos/cosmic_ray", "", 404, "fault"},
      {"DELETE", "/api/v1/chaos/model_failure", "", 404, "fault"},
      {"POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 0})", 422,
       "duration_seconds"},
      {"POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 3601})", 422,
       "duration_seconds"},
      {"POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": "ten"})", 422,
       "duration_seconds"},
      {"POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5, "x": 1})", 422, "x"},
      {"POST", "/api/v1/chaos/error_rate", R"({"duration_seconds": 5, "params": {"rate": 2}})",
       422, "params.rate"},
      {"POST", "/api/v1/chaos/request_latency",
       R"({"duration_seconds": 5, "params": {"latency_ms": 5, "jitter": 1}})", 422,
       "params.jitter"},
      {"POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5)", 400, nullptr},
      {"POST", "/api/v1/chaos/redis_outage", R"({"duration_seconds": 5})", 409, nullptr},
  };
  for (const auto& c : cases) {
    auto r = svc.Call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    if (c.field) {
      EXPECT_NE(r.body.find(fmt::format(R"("field":"{}")", c.field)), std::string::npos)
          << r.body;
    }
  }
  auto wrong_type =
      svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5})", "text/plain");
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_NE(wrong_type.body.find(R"("field":"Content-Type")"), std::string::npos);
  ASSERT_EQ(svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5})").status,
            200);
  auto again = svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5})");
  EXPECT_EQ(again.status, 409) << again.body;
  const std::string scrape = svc.Scrape();
  EXPECT_EQ(Injections(scrape, "model_failure", "started"), 1);
  EXPECT_GE(Injections(scrape, "model_failure", "rejected"), 6);
}

TEST(ChaosApiTest, ProductionRefusesExperimentsUnlessEnabled) {
  {
    Service svc(Env({{"ENVIRONMENT", "production"}, {"ASTRAGUARD_API_KEYS", "admin:chaos-admin-key"}}));
    ASSERT_TRUE(svc.started()) << svc.output();
    auto r = svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5})");
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_NE(r.body.find("ASTRAGUARD_ENABLE_CHAOS"), std::string::npos);
    EXPECT_EQ(svc.Json("GET", "/api/v1/chaos")["enabled"], false);
    EXPECT_EQ(Injections(svc.Scrape(), "model_failure", "rejected"), 1);
  }
  Service svc(Env({{"ENVIRONMENT", "production"},
                   {"ASTRAGUARD_API_KEYS", "admin:chaos-admin-key"},
                   {"ASTRAGUARD_ENABLE_CHAOS", "true"}}));
  ASSERT_TRUE(svc.started()) << svc.output();
  EXPECT_EQ(svc.Call("POST", "/api/v1/chaos/model_failure", R"({"duration_seconds": 5})").status,
            200);
}

// Tracing to a real OTLP receiver; the breaker opens quickly and tries again after 300 ms.
std::map<std::string, std::string> TracingEnv(int port) {
  return Env({{"OTEL_SDK_DISABLED", "false"},
              {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(port)},
              {"OTEL_BSP_SCHEDULE_DELAY", "20"},
              {"ASTRAGUARD_BREAKER_OPEN_TIMEOUT_MS", "300"}});
}

double BreakerTransitions(const std::string& scrape, const char* from, const char* to) {
  return Sample(scrape, "astra_circuit_breaker_transitions_total",
                {{"name", "otlp_exporter"}, {"from_state", from}, {"to_state", to}});
}

TEST(ExporterBreakerTest, ExporterOutageOpensTheBreakerAndItClosesAfterwards) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started()) << "receiver did not start; run scripts/test-deps.sh";
  Service svc(TracingEnv(rx.port()));
  ASSERT_TRUE(svc.started()) << svc.output();
  int i = 0;
  auto traffic = [&] { svc.Call("POST", "/api/v1/telemetry", NominalAt(i++)); };
  EXPECT_EQ(BreakerTransitions(svc.Scrape(), "closed", "open"), 0);
  ASSERT_EQ(svc.Call("POST", "/api/v1/chaos/exporter_outage", R"({"duration_seconds": 60})").status,
            200);
  std::string scrape = svc.WaitFor(
      [](const std::string& s) { return BreakerTransitions(s, "closed", "open") >= 1; }, 10s,
      traffic);
  ASSERT_GE(BreakerTransitions(scrape, "closed", "open"), 1);
  std::this_thread::sleep_for(300ms);
  auto health = svc.Json("GET", "/health");
  EXPECT_EQ(health["status"], "degraded");
  EXPECT_EQ(health["components"].at("otlp_exporter").at("status"), "degraded");
  EXPECT_NE(std::string(health["components"].at("otlp_exporter").at("last_error").as_string())
                .find("exporter_outage"),
            std::string::npos);
  EXPECT_NE(health["circuit_breakers"].at("otlp_exporter").at("state"), "closed");
  EXPECT_EQ(svc.Call("GET", "/health/ready").status, 200);
  ASSERT_EQ(svc.Call("DELETE", "/api/v1/chaos/exporter_outage").status, 200);
  scrape = svc.WaitFor(
      [](const std::string& s) {
        return BreakerTransitions(s, "half_open", "closed") >= 1 &&
               Recoveries(s, "exporter_outage") == 1;
      },
      10s, traffic);
  EXPECT_GE(BreakerTransitions(scrape, "half_open", "closed"), 1);
  EXPECT_EQ(Sample(scrape, "astra_circuit_breaker_state", {{"name", "otlp_exporter"}}), 0);
  EXPECT_EQ(Recoveries(scrape, "exporter_outage"), 1);
  EXPECT_GT(Sample(scrape, "astra_chaos_recovery_time_seconds_sum", {{"type", "exporter_outage"}}),
            0);
  EXPECT_EQ(svc.Json("GET", "/health")["circuit_breakers"].at("otlp_exporter").at("state"),
            "closed");
}

TEST(ExporterBreakerTest, OpensWhileTheReceiverIsStoppedAndClosesWhenItIsBack) {
  auto rx = std::make_unique<OtlpReceiver>();
  ASSERT_TRUE(rx->started()) << "receiver did not start; run scripts/test-deps.sh";
  const int port = rx->port();
  Service svc(TracingEnv(port));
  ASSERT_TRUE(svc.started()) << svc.output();
  int i = 0;
  auto traffic = [&] { svc.Call("POST", "/api/v1/telemetry", NominalAt(i++)); };
  traffic();
  ASSERT_FALSE(rx->WaitForSpans(1, 10s).empty());
  rx.reset();  // the receiver stops
  std::string scrape = svc.WaitFor(
      [](const std::string& s) { return BreakerTransitions(s, "closed", "open") == 1; }, 15s,
      traffic);
  ASSERT_EQ(BreakerTransitions(scrape, "closed", "open"), 1);
  EXPECT_EQ(Sample(scrape, "astra_circuit_breaker_state", {{"name", "otlp_exporter"}}), 1);
  std::this_thread::sleep_for(300ms);
  auto health = svc.Json("GET", "/health");
  EXPECT_EQ(health["components"].at("otlp_exporter").at("status"), "degraded");
  EXPECT_NE(std::string(health["components"].at("otlp_exporter").at("last_error").as_string())
                .find("connect"),
            std::string::npos)
      << health;
  for (int n = 0; n < 20; ++n)
    EXPECT_EQ(svc.Call("POST", "/api/v1/telemetry", NominalAt(i++)).status, 200);

  rx = std::make_unique<OtlpReceiver>(std::vector<std::string>{"--port", std::to_string(port)});
  ASSERT_TRUE(rx->started());
  scrape = svc.WaitFor(
      [](const std::string& s) {
        return BreakerTransitions(s, "half_open", "closed") == 1 &&
               Sample(s, "astra_error_resolution_time_seconds_count",
                      {{"error_type", "otlp_exporter"}}) == 1;
      },
      15s, traffic);
  EXPECT_EQ(BreakerTransitions(scrape, "half_open", "closed"), 1);
  EXPECT_GE(BreakerTransitions(scrape, "open", "half_open"), 1);
  EXPECT_EQ(Sample(scrape, "astra_circuit_breaker_state", {{"name", "otlp_exporter"}}), 0);
  EXPECT_GT(Sample(scrape, "astra_health_check_failures_total", {{"service", "otlp_exporter"}}),
            0);
  EXPECT_EQ(Sample(scrape, "astra_error_resolution_time_seconds_count",
                   {{"error_type", "otlp_exporter"}}),
            1);
  EXPECT_FALSE(rx->WaitForSpans(1, 10s).empty());
  EXPECT_EQ(svc.Json("GET", "/health")["status"], "healthy");
}

TEST(ResilienceMetricsTest, EveryFamilyIsExportedFromTheStartAndPromtoolAcceptsIt) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  Service svc(TracingEnv(rx.port()));
  ASSERT_TRUE(svc.started()) << svc.output();
  std::this_thread::sleep_for(200ms);
  const std::string scrape = svc.Scrape();
  EXPECT_EQ(Sample(scrape, "astra_circuit_breaker_state", {{"name", "otlp_exporter"}}), 0);
  EXPECT_EQ(BreakerTransitions(scrape, "closed", "open"), 0);
  for (const char* outcome : {"success", "retry", "exhausted"})
    EXPECT_EQ(Sample(scrape, "astra_retry_attempts_total",
                     {{"endpoint", "otlp_exporter"}, {"outcome", outcome}}),
              0)
        << outcome;
  EXPECT_EQ(Sample(scrape, "astra_retry_latency_seconds_count", {{"endpoint", "otlp_exporter"}}),
            0);
  for (const char* service : {"detector", "otlp_exporter"}) {
    EXPECT_EQ(Sample(scrape, "astra_health_check_failures_total", {{"service", service}}), 0);
    EXPECT_EQ(Sample(scrape, "astra_error_resolution_time_seconds_count", {{"error_type", service}}),
              0);
  }
  for (const char* type : {"redis_outage", "redis_latency", "model_failure", "exporter_outage",
                           "request_latency", "error_rate"}) {
    for (const char* status : {"started", "stopped", "expired", "rejected"})
      EXPECT_EQ(Injections(scrape, type, status), 0) << type << " " << status;
    EXPECT_EQ(Recoveries(scrape, type), 0) << type;
  }
  char path[] = "/tmp/ag-resil-scrape-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, scrape.data(), scrape.size()), static_cast<ssize_t>(scrape.size()));
  close(fd);
  std::string out;
  const int rc = RunShell(std::string("promtool check metrics < ") + path, &out);
  unlink(path);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace astraguard::testing
