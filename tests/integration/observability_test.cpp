// End-to-end observability of the real binary: traces to an OTLP receiver built on the pinned
// npm decoder, JSON log lines correlated with the spans, /metrics linted by promtool and scraped
// by a real Prometheus whose PromQL answers must match the traffic sent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "astraguard/common/testing/free_port.hpp"
#include "astraguard/http/client/client.hpp"
#include "astraguard/obs/otlp/testing/otlp_receiver.hpp"
#include "service_process.hpp"

extern char** environ;

namespace astraguard::testing {
namespace {

using namespace std::chrono_literals;
using obs::testing::OtlpReceiver;

constexpr const char* kNominal =
    R"({"voltage":28.1,"temperature":21.5,"gyro":0.001,"current":3.2,"wheel_speed":2400,"satellite_id":"sat-1"})";
// wheel_speed above its red-high limit: an anomaly with score 1.0 (CRITICAL).
constexpr const char* kCritical =
    R"({"voltage":28,"temperature":20,"gyro":0,"wheel_speed":6100,"satellite_id":"sat-9"})";
// The i-th record of a stream: values vary from record to record, as real telemetry does (a
// reading repeated bit for bit is a stuck-sensor signature the mission layer reports).
std::string NominalAt(int i) {
  return fmt::format(
      R"({{"voltage":{:.3f},"temperature":{:.2f},"gyro":{:.4f},"current":{:.2f},"wheel_speed":{},"satellite_id":"sat-1"}})",
      28.1 + 0.01 * (i % 7), 21.5 + 0.1 * (i % 5), 0.001 * (i % 3), 3.2 + 0.01 * (i % 4), 2400 + i);
}
std::string CriticalAt(int i) {
  return fmt::format(
      R"({{"voltage":{:.2f},"temperature":{:.1f},"gyro":{:.4f},"wheel_speed":{},"satellite_id":"sat-9"}})",
      28.0 + 0.01 * (i % 7), 20.0 + 0.1 * i, 0.001 * (i % 3), 6100 + i);
}

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::vector<boost::json::object> JsonLines(const std::string& text, std::vector<std::string>* bad) {
  std::vector<boost::json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      bad->push_back(line);
      continue;
    }
    out.push_back(v.as_object());
  }
  return out;
}

const boost::json::object* SpanNamed(const std::vector<boost::json::object>& spans,
                                     std::string_view name) {
  for (const auto& s : spans)
    if (s.at("name").as_string() == name) return &s;
  return nullptr;
}

TEST(ObservabilityTest, TracesAndJsonLogsShareTheIncomingTraceId) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started()) << "OTLP receiver did not start (scripts/test-deps.sh)";
  ServiceProcess svc(
      {"serve"}, {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(rx.port())},
                  {"OTEL_BSP_SCHEDULE_DELAY", "100"},
                  {"OTEL_SERVICE_NAME", "astra-guard-e2e"},
                  {"ENABLE_JSON_LOGGING", "true"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto r =
      c.Send("POST", "/api/v1/telemetry", kCritical, "application/json",
             {{"traceparent", kTraceparent}, {"tracestate", "ops=1"}, {"User-Agent", "e2e/1"}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200);
  // The response carries our SERVER span's context in the caller's trace.
  const std::string tp = r->headers["traceparent"];
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  const std::string server_span_id = tp.substr(36, 16);
  // A request without traceparent starts a new trace; a 404 is traced with route "unmatched".
  ASSERT_EQ(c.Send("GET", "/no/such/path")->status, 404);

  auto spans = rx.WaitForSpans(3, 10s);
  ASSERT_GE(spans.size(), 3u) << svc.output();
  const auto* server = SpanNamed(spans, "POST /api/v1/telemetry");
  const auto* detection = SpanNamed(spans, "anomaly_detection");
  const auto* unmatched = SpanNamed(spans, "GET unmatched");
  ASSERT_TRUE(server && detection && unmatched);
  EXPECT_EQ(server->at("traceId").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(server->at("parentSpanId").as_string(), "00f067aa0ba902b7");
  EXPECT_EQ(server->at("spanId").as_string(), server_span_id);
  EXPECT_EQ(server->at("traceState").as_string(), "ops=1");
  EXPECT_EQ(server->at("kind").as_int64(), 2);
  EXPECT_EQ(server->at("status").at("code").as_int64(), 0);
  const auto& a = server->at("attributes").as_object();
  EXPECT_EQ(a.at("http.request.method").as_string(), "POST");
  EXPECT_EQ(a.at("http.route").as_string(), "/api/v1/telemetry");
  EXPECT_EQ(a.at("url.path").as_string(), "/api/v1/telemetry");
  EXPECT_EQ(a.at("http.response.status_code").to_number<int>(), 200);
  EXPECT_EQ(a.at("server.port").to_number<int>(), svc.api_port());
  EXPECT_EQ(a.at("client.address").as_string(), "127.0.0.1");
  EXPECT_EQ(a.at("user_agent.original").as_string(), "e2e/1");
  EXPECT_EQ(detection->at("traceId").as_string(), server->at("traceId").as_string());
  EXPECT_EQ(detection->at("parentSpanId").as_string(), server_span_id);
  EXPECT_EQ(detection->at("attributes").at("model").as_string(), "default");
  EXPECT_EQ(detection->at("attributes").at("data.size").to_number<int>(), 1);
  EXPECT_NE(unmatched->at("traceId").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(unmatched->at("parentSpanId").as_string(), "");
  EXPECT_EQ(unmatched->at("attributes").at("http.response.status_code").to_number<int>(), 404);
  EXPECT_EQ(server->at("resource").at("service.name").as_string(), "astra-guard-e2e");

  svc.Signal(SIGTERM);
  ASSERT_EQ(svc.Wait(), 0);
  std::vector<std::string> bad;
  auto lines = JsonLines(svc.output(), &bad);
  EXPECT_TRUE(bad.empty()) << "non-JSON lines:\n" << bad.front();
  int access = 0, detections = 0;
  for (const auto& l : lines) {
    if (!l.contains("event")) continue;
    if (l.at("event") == "http_request" && l.at("route") == "/api/v1/telemetry") {
      ++access;
      EXPECT_EQ(l.at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(l.at("span_id").as_string(), server_span_id);
      EXPECT_EQ(l.at("method").as_string(), "POST");
      EXPECT_EQ(l.at("status").as_int64(), 200);
      EXPECT_EQ(l.at("service").as_string(), "astra-guard-e2e");
      EXPECT_TRUE(l.at("duration_ms").is_double());
      EXPECT_GT(l.at("bytes").to_number<int>(), 0);
    }
    if (l.at("event") == "anomaly_detected") {
      ++detections;
      EXPECT_EQ(l.at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(l.at("satellite").as_string(), "sat-9");
      EXPECT_EQ(l.at("severity").as_string(), "CRITICAL");
      EXPECT_EQ(l.at("type").as_string(), "wheel_fault");
    }
  }
  EXPECT_EQ(access, 1);
  EXPECT_EQ(detections, 1);
}

TEST(ObservabilityTest, RequestsSucceedWhileTheTraceReceiverIsDown) {
  const int dead = FreePort();
  ServiceProcess svc({"serve"},
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(dead)},
                      {"OTEL_BSP_SCHEDULE_DELAY", "20"},
                      {"ENVIRONMENT", "production"},
                      {"ASTRAGUARD_API_KEYS", "operator:obs-test-operator-key"},
                      {"ENABLE_JSON_LOGGING", "true"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  const http::Headers key = {{"Authorization", "Bearer obs-test-operator-key"}};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    auto r = c.Send("POST", "/api/v1/telemetry", i % 10 == 0 ? CriticalAt(i) : NominalAt(i),
                    "application/json", key);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  std::this_thread::sleep_for(300ms);
  http::HttpClient m("127.0.0.1", svc.metrics_port());
  auto scrape = m.Send("GET", "/metrics");
  ASSERT_TRUE(scrape.ok());
  auto value = [&](std::string_view name) {
    std::istringstream in(scrape->body);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(std::string(name) + " ", 0) == 0)
        return std::stod(line.substr(name.size() + 1));
    return -1.0;
  };
  EXPECT_GT(value("astra_trace_spans_export_failed_total"), 0) << scrape->body;
  EXPECT_EQ(value("astra_trace_spans_exported_total"), 0);
  EXPECT_EQ(value("astra_log_lines_dropped_total"), 0);
  EXPECT_GE(value("astra_trace_queue_spans"), 0);  // the queues' depths are exported (-1: absent)
  EXPECT_GE(value("astra_log_queue_lines"), 0);
  // The failure is reported in the log too, rate-limited to one line a minute.
  svc.Signal(SIGTERM);
  ASSERT_EQ(svc.Wait(), 0);
  std::vector<std::string> bad;
  int warnings = 0;
  for (const auto& l : JsonLines(svc.output(), &bad)) {
    if (l.contains("event") && l.at("event") == "trace_export_failed") {
      ++warnings;
      EXPECT_EQ(l.at("level").as_string(), "warning");
      EXPECT_EQ(l.at("http_status").as_int64(), 0);
      EXPECT_NE(l.at("error").as_string().find("connect"), boost::json::string::npos);
    }
  }
  EXPECT_EQ(warnings, 1) << svc.output();
  EXPECT_TRUE(bad.empty());
}

// A first run in development without a collector: one quiet info line saying how to point
// tracing elsewhere or turn it off, no warning.
TEST(ObservabilityTest, AnAbsentCollectorInDevelopmentIsOneInfoLine) {
  const int dead = FreePort();
  ServiceProcess svc({"serve"},
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(dead)},
                      {"OTEL_BSP_SCHEDULE_DELAY", "20"},
                      {"ENABLE_JSON_LOGGING", "true"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.Send("POST", "/api/v1/telemetry", NominalAt(i)).ok());
    if (i % 10 == 0) std::this_thread::sleep_for(30ms);  // several export attempts
  }
  std::this_thread::sleep_for(200ms);
  svc.Signal(SIGTERM);
  ASSERT_EQ(svc.Wait(), 0);
  std::vector<std::string> bad;
  int unreachable = 0, warnings = 0;
  for (const auto& l : JsonLines(svc.output(), &bad)) {
    if (l.contains("logger") && l.at("logger") == "astraguard.tracing" &&
        (l.at("level") == "warning" || l.at("level") == "error"))
      ++warnings;
    if (l.contains("event") && l.at("event") == "trace_collector_unreachable") {
      ++unreachable;
      EXPECT_EQ(l.at("level").as_string(), "info");
      EXPECT_NE(l.at("hint").as_string().find("OTEL_SDK_DISABLED"), boost::json::string::npos);
    }
    if (l.contains("event") && l.at("event") == "observability_initialized") {
      EXPECT_NE(l.at("endpoint_settings").as_string().find("OTEL_EXPORTER_OTLP_ENDPOINT"),
                boost::json::string::npos);
    }
  }
  EXPECT_EQ(unreachable, 1) << svc.output();
  EXPECT_EQ(warnings, 0) << svc.output();
  EXPECT_TRUE(bad.empty());
}

// ---- promtool + Prometheus ----

TEST(ObservabilityTest, PromtoolAcceptsTheScrapeAfterTraffic) {
  ServiceProcess svc({"serve"}, {{"OTEL_SDK_DISABLED", "true"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  for (const char* body : {kNominal, kCritical, "{", R"({"voltage":"x"})"})
    ASSERT_TRUE(c.Send("POST", "/api/v1/telemetry", body).ok());
  ASSERT_TRUE(c.Send("GET", "/health").ok());
  ASSERT_TRUE(c.Send("DELETE", "/health").ok());
  ASSERT_TRUE(c.Send("GET", "/nope").ok());
  http::HttpClient m("127.0.0.1", svc.metrics_port());
  auto scrape = m.Send("GET", "/metrics");
  ASSERT_TRUE(scrape.ok());
  EXPECT_EQ(scrape->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  char path[] = "/tmp/ag-scrape-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, scrape->body.data(), scrape->body.size()),
            static_cast<ssize_t>(scrape->body.size()));
  close(fd);
  std::string out;
  int rc = RunShell(std::string("promtool check metrics < ") + path, &out);
  unlink(path);
  EXPECT_EQ(rc, 0) << out;
  for (const char* family :
       {"astra_http_requests_total", "astra_http_request_duration_seconds_bucket",
        "astra_http_request_size_bytes_bucket", "astra_http_response_size_bytes_bucket",
        "astra_active_connections", "astra_anomalies_detected_total{severity=\"critical\"} 1",
        "astra_detection_latency_seconds_count 2", "astra_build_info", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
        "astra_log_lines_written_total"}) {
    EXPECT_NE(scrape->body.find(family), std::string::npos) << family;
  }
}

class Prometheus {
 public:
  Prometheus(int target_port, const std::string& user, const std::string& password) {
    char tmpl[] = "/tmp/ag-prom-XXXXXX";
    dir_ = mkdtemp(tmpl);
    port_ = FreePort();
    std::ofstream cfg(dir_ + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: astraguard\n"
        << "    basic_auth:\n      username: " << user << "\n      password: " << password << "\n"
        << "    static_configs:\n      - targets: ['127.0.0.1:" << target_port << "']\n";
    cfg.close();
    std::vector<std::string> args = {"prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                     "--storage.tsdb.path=" + dir_ + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ + "/log").c_str(), O_WRONLY | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, "prometheus", &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::string ignored;
    RunShell("rm -rf " + dir_, &ignored);
  }
  bool WaitReady(std::chrono::seconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      http::HttpClient c("127.0.0.1", static_cast<uint16_t>(port_), 1s);
      auto r = c.Send("GET", "/-/ready");
      if (r.ok() && r->status == 200) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  // Instant query; returns the result vector (empty on error).
  boost::json::array Query(const std::string& promql) {
    std::string enc;
    for (unsigned char ch : promql) {
      if (std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-') {
        enc += static_cast<char>(ch);
      } else {
        char b[4];
        std::snprintf(b, sizeof b, "%%%02X", ch);
        enc += b;
      }
    }
    http::HttpClient c("127.0.0.1", static_cast<uint16_t>(port_), 5s);
    auto r = c.Send("GET", "/api/v1/query?query=" + enc);
    if (!r.ok() || r->status != 200) return {};
    auto v = boost::json::parse(r->body);
    return v.at("data").at("result").as_array();
  }
  // Polls `promql` until its single value satisfies `pred` or the timeout passes.
  double WaitValue(const std::string& promql, const std::function<bool(double)>& pred,
                   std::chrono::seconds timeout) {
    double last = std::nan("");
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto res = Query(promql);
      if (res.size() == 1) {
        last = std::stod(std::string(res[0].at("value").at(1).as_string()));
        if (pred(last)) return last;
      }
      std::this_thread::sleep_for(250ms);
    }
    return last;
  }
  std::string log() {
    std::ifstream in(dir_ + "/log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(ObservabilityTest, RealPrometheusScrapesWithBasicAuthAndPromqlMatchesTraffic) {
  ServiceProcess svc(
      {"serve"},
      {{"OTEL_SDK_DISABLED", "true"}, {"METRICS_USER", "prom"}, {"METRICS_PASSWORD", "s3cret"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  {
    http::HttpClient m("127.0.0.1", svc.metrics_port());
    auto r = m.Send("GET", "/metrics");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->headers["www-authenticate"], "Basic realm=\"metrics\", charset=\"UTF-8\"");
  }
  Prometheus prom(svc.metrics_port(), "prom", "s3cret");
  ASSERT_TRUE(prom.WaitReady(30s)) << prom.log();
  ASSERT_EQ(prom.WaitValue(
                "up{job=\"astraguard\"}", [](double v) { return v == 1; }, 20s),
            1)
      << prom.log();

  // Traffic over ~3 s so rate() has several samples: 60 nominal + 15 critical.
  http::HttpClient c("127.0.0.1", svc.api_port());
  for (int i = 0; i < 75; ++i) {
    auto r = c.Send("POST", "/api/v1/telemetry", i % 5 == 4 ? CriticalAt(i) : NominalAt(i));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200);
    std::this_thread::sleep_for(40ms);
  }
  const std::string total =
      "sum(astra_http_requests_total{endpoint=\"/api/v1/"
      "telemetry\",method=\"POST\",status=\"200\"})";
  EXPECT_EQ(prom.WaitValue(
                total, [](double v) { return v == 75; }, 15s),
            75);
  EXPECT_EQ(prom.WaitValue(
                "sum(astra_anomalies_detected_total{severity=\"critical\"})",
                [](double v) { return v == 15; }, 10s),
            15);
  EXPECT_EQ(prom.WaitValue(
                "sum(astra_anomalies_detected_total{severity=~\"low|medium|high\"})",
                [](double v) { return v == 0; }, 10s),
            0);
  // Request rate over the traffic window: 75 requests in ~3 s.
  const double rate = prom.WaitValue(
      "sum(rate(astra_http_requests_total{endpoint=\"/api/v1/telemetry\"}[30s]))",
      [](double v) { return v > 0; }, 10s);
  EXPECT_GT(rate, 0.5);
  EXPECT_LT(rate, 75.0);
  // p99 latency from the histogram: loopback service times are far below 50 ms, and the
  // sub-millisecond buckets make the quantile land below 5 ms rather than on a coarse bucket.
  const double p99 = prom.WaitValue(
      "histogram_quantile(0.99, sum by (le) (rate(astra_http_request_duration_seconds_bucket"
      "{endpoint=\"/api/v1/telemetry\"}[30s])))",
      [](double v) { return v > 0; }, 10s);
  EXPECT_GT(p99, 0.0);
  EXPECT_LT(p99, 0.005);
}

}  // namespace
}  // namespace astraguard::testing
