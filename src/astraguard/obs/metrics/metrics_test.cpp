#include "astraguard/obs/metrics/metrics.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace astraguard::obs {
namespace {

TEST(MetricsTest, RouteObservationsAppearUnderTheRouteTemplate) {
  Metrics metrics({"1.2.3", "test"});
  RouteMetrics& route = metrics.ForRoute("GET", "/api/v1/anomalies/{id}");
  route.Observe(404, 0.0003, 0, 120);
  route.Observe(200, 0.0002, 0, 300);
  route.Observe(299, 0.0002, 0, 300);
  std::string text = metrics.Serialize();
  EXPECT_NE(
      text.find("astra_http_requests_total{endpoint=\"/api/v1/anomalies/{id}\",method=\"GET\","
                "status=\"404\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"other\"} 1"), std::string::npos);
  EXPECT_NE(
      text.find("astra_http_request_duration_seconds_count{endpoint=\"/api/v1/anomalies/{id}\"} 3"),
      std::string::npos);
  EXPECT_NE(text.find("le=\"0.0005\""), std::string::npos);
}

TEST(MetricsTest, ExposesProcessAndBuildInfo) {
  Metrics metrics({"1.2.3", "test"});
  std::string text = metrics.Serialize();
  EXPECT_NE(text.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total"), std::string::npos);
  EXPECT_NE(text.find("process_open_fds"), std::string::npos);
  EXPECT_NE(text.find("process_start_time_seconds"), std::string::npos);
  EXPECT_NE(text.find("astra_build_info{environment=\"test\",version=\"1.2.3\"} 1"),
            std::string::npos);
}

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, ServerErrorsCountIntoErrorsTotalByType) {
  Metrics metrics({"1", "test"});
  RouteMetrics& route = metrics.ForRoute("POST", "/api/v1/telemetry");
  route.Observe(500, 0.001, 10, 10);
  route.Observe(503, 0.001, 10, 10);
  route.Observe(503, 0.001, 10, 10);
  route.Observe(422, 0.001, 10, 10);
  std::string text = metrics.Serialize();
  EXPECT_TRUE(Has(text, "astra_errors_total{endpoint=\"/api/v1/telemetry\",type=\"internal\"} 1"))
      << text;
  EXPECT_TRUE(
      Has(text, "astra_errors_total{endpoint=\"/api/v1/telemetry\",type=\"unavailable\"} 2"));
}

TEST(MetricsTest, ARouteCreatesOnlyItsDeclaredStatusesUpFront) {
  Metrics metrics({"1", "test"});
  metrics.ForRoute("GET", "/health");
  metrics.ForRoute("GET", "/metrics", {200, 401});
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(Has(text, "astra_http_requests_total{endpoint=\"/health\",method=\"GET\","
                        "status=\"200\"} 0"))
      << text;
  EXPECT_TRUE(Has(text, "astra_http_requests_total{endpoint=\"/metrics\",method=\"GET\","
                        "status=\"401\"} 0"));
  // Nothing a bodiless GET cannot answer, no error series before an error.
  EXPECT_FALSE(Has(text, "endpoint=\"/health\",method=\"GET\",status=\"413\""));
  EXPECT_FALSE(Has(text, "status=\"other\""));
  EXPECT_FALSE(Has(text, "astra_errors_total{"));
}

TEST(MetricsTest, AnUndeclaredStatusAppearsOnFirstUseAndCountsEveryObservation) {
  Metrics metrics({"1", "test"});
  RouteMetrics& route = metrics.ForRoute("POST", "/api/v1/telemetry");
  constexpr int kThreads = 8, kEach = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&route, t] {
      for (int i = 0; i < kEach; ++i) route.Observe(t % 2 == 0 ? 422 : 500, 0.001, 1, 1);
    });
  }
  for (auto& th : threads) th.join();
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(Has(text, "astra_http_requests_total{endpoint=\"/api/v1/telemetry\",method=\"POST\","
                        "status=\"422\"} 4000"))
      << text;
  EXPECT_TRUE(Has(text, "astra_http_requests_total{endpoint=\"/api/v1/telemetry\",method=\"POST\","
                        "status=\"500\"} 4000"));
  EXPECT_TRUE(Has(text, "astra_errors_total{endpoint=\"/api/v1/telemetry\",type=\"internal\"} 4000"));
}

TEST(MetricsTest, CallbackFamiliesAreReadAtScrapeTime) {
  Metrics metrics({"1", "test"});
  std::atomic<int> dropped{0};
  metrics.AddCallback("astra_log_lines_dropped_total", "Log lines dropped.",
                      prometheus::MetricType::Counter, [&] { return double(dropped.load()); });
  dropped = 7;
  EXPECT_TRUE(Has(metrics.Serialize(), "astra_log_lines_dropped_total 7"));
}

TEST(MetricsAuthTest, BasicAuthComparesWholeHeader) {
  MetricsAuth none;
  EXPECT_TRUE(none.Allows(""));
  MetricsAuth auth("prom", "s3cret");
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Allows("Basic cHJvbTpzM2NyZXQ="));  // base64("prom:s3cret")
  EXPECT_FALSE(auth.Allows("Basic cHJvbTpzM2NyZXQ"));
  EXPECT_FALSE(auth.Allows("Basic cHJvbTpzM2NyZXQ=x"));
  EXPECT_FALSE(auth.Allows(""));
  EXPECT_FALSE(auth.Allows("Basic cHJvbTp3cm9uZw=="));
}

// Every family with at least one sample, linted by the real promtool.
TEST(MetricsTest, EveryFamilyPassesPromtool) {
  Metrics metrics({"1.0.0", "test"});
  metrics.ForRoute("POST", "/api/v1/telemetry").Observe(503, 0.0004, 90, 200);
  metrics.active_connections().Increment();
  metrics.AddCallback("astra_log_lines_dropped_total", "Log lines dropped.",
                      prometheus::MetricType::Counter, [] { return 0.0; });
  const std::string text = metrics.Serialize();
  for (const char* family : {"astra_http_requests_total", "astra_http_request_duration_seconds",
                             "astra_active_connections", "astra_http_request_size_bytes",
                             "astra_http_response_size_bytes", "astra_errors_total",
                             "astra_build_info", "process_cpu_seconds_total",
                             "astra_log_lines_dropped_total"}) {
    EXPECT_TRUE(Has(text, std::string("\n") + family)) << family;
  }
  char path[] = "/tmp/ag-metrics-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[1024];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
}

}  // namespace
}  // namespace astraguard::obs
