#include "astraguard/obs/metrics.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

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

TEST(MetricsTest, DetectionFamilies) {
  Metrics metrics({"1", "test"});
  metrics.detection().Observe(0.0004);
  metrics.detection().Anomaly(Severity::kCritical);
  metrics.detection().Anomaly(*ParseSeverity("HIGH"));
  metrics.detection().SetAccuracy(0.97);
  metrics.FalsePositives("limits").Increment();
  std::string text = metrics.Serialize();
  EXPECT_TRUE(Has(text, "astra_anomalies_detected_total{severity=\"critical\"} 1"));
  EXPECT_TRUE(Has(text, "astra_anomalies_detected_total{severity=\"high\"} 1"));
  EXPECT_TRUE(Has(text, "astra_anomalies_detected_total{severity=\"low\"} 0"));
  EXPECT_TRUE(Has(text, "astra_detection_latency_seconds_bucket{le=\"0.0005\"} 1"));
  EXPECT_TRUE(Has(text, "astra_detection_latency_seconds_bucket{le=\"0.00025\"} 0"));
  EXPECT_TRUE(Has(text, "astra_detection_accuracy 0.97"));
  EXPECT_TRUE(Has(text, "astra_false_positives_total{detector=\"limits\"} 1"));
  EXPECT_FALSE(ParseSeverity("severe").has_value());
}

TEST(MetricsTest, ResilienceFamilies) {
  Metrics metrics({"1", "test"});
  BreakerMetrics& b = metrics.ForBreaker("redis");
  b.Transition(BreakerState::kClosed, BreakerState::kOpen);
  b.Transition(BreakerState::kOpen, BreakerState::kHalfOpen);
  RetryMetrics& r = metrics.ForRetry("redis");
  r.Attempt(RetryOutcome::kRetry);
  r.Attempt(RetryOutcome::kSuccess);
  r.ObserveLatency(0.02);
  metrics.ForChaos("latency").Injection(true);
  metrics.ForChaos("latency").ObserveRecovery(3);
  metrics.ForRecovery("cache_purge").Action(ActionStatus::kSkipped);
  metrics.HealthCheckFailures("redis").Increment();
  metrics.ErrorResolution("dependency_unavailable").Observe(12);
  StoreMetrics& s = metrics.ForStore("redis");
  s.Hit();
  s.Miss();
  s.SetSizeBytes(4096);
  std::string text = metrics.Serialize();
  EXPECT_TRUE(Has(text, "astra_circuit_breaker_state{name=\"redis\"} 2"));
  EXPECT_TRUE(Has(text,
                  "astra_circuit_breaker_transitions_total{from_state=\"closed\",name=\"redis\",to_"
                  "state=\"open\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "astra_retry_attempts_total{endpoint=\"redis\",outcome=\"retry\"} 1"));
  EXPECT_TRUE(Has(text, "astra_retry_latency_seconds_count{endpoint=\"redis\"} 1"));
  EXPECT_TRUE(Has(text, "astra_chaos_injections_total{status=\"success\",type=\"latency\"} 1"));
  EXPECT_TRUE(Has(text, "astra_chaos_recovery_time_seconds_sum{type=\"latency\"} 3"));
  EXPECT_TRUE(Has(text, "astra_recovery_actions_total{status=\"skipped\",type=\"cache_purge\"} 1"));
  EXPECT_TRUE(Has(text, "astra_health_check_failures_total{service=\"redis\"} 1"));
  EXPECT_TRUE(Has(
      text, "astra_error_resolution_time_seconds_count{error_type=\"dependency_unavailable\"} 1"));
  EXPECT_TRUE(Has(text, "astra_memory_engine_hits_total{store_type=\"redis\"} 1"));
  EXPECT_TRUE(Has(text, "astra_memory_engine_misses_total{store_type=\"redis\"} 1"));
  EXPECT_TRUE(Has(text, "astra_memory_engine_size_bytes{store_type=\"redis\"} 4096"));
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
  metrics.detection().Observe(0.00002);
  metrics.detection().Anomaly(Severity::kMedium);
  metrics.detection().SetAccuracy(0.9);
  metrics.FalsePositives("limits").Increment();
  metrics.ForBreaker("redis").Transition(BreakerState::kClosed, BreakerState::kOpen);
  metrics.ForRetry("redis").Attempt(RetryOutcome::kExhausted);
  metrics.ForRetry("redis").ObserveLatency(0.3);
  metrics.ForChaos("latency").Injection(false);
  metrics.ForChaos("latency").ObserveRecovery(2);
  metrics.ForRecovery("safe_mode").Action(ActionStatus::kSuccess);
  metrics.HealthCheckFailures("redis").Increment();
  metrics.Errors("exception", "custom_operation").Increment();
  metrics.ErrorResolution("dependency_unavailable").Observe(4);
  metrics.ForStore("memory").Hit();
  metrics.AddCallback("astra_log_lines_dropped_total", "Log lines dropped.",
                      prometheus::MetricType::Counter, [] { return 0.0; });
  const std::string text = metrics.Serialize();
  for (const char* family : {"astra_http_requests_total",
                             "astra_http_request_duration_seconds",
                             "astra_active_connections",
                             "astra_http_request_size_bytes",
                             "astra_http_response_size_bytes",
                             "astra_circuit_breaker_state",
                             "astra_circuit_breaker_transitions_total",
                             "astra_retry_attempts_total",
                             "astra_retry_latency_seconds",
                             "astra_chaos_injections_total",
                             "astra_chaos_recovery_time_seconds",
                             "astra_recovery_actions_total",
                             "astra_health_check_failures_total",
                             "astra_anomalies_detected_total",
                             "astra_detection_latency_seconds",
                             "astra_detection_accuracy",
                             "astra_false_positives_total",
                             "astra_memory_engine_hits_total",
                             "astra_memory_engine_misses_total",
                             "astra_memory_engine_size_bytes",
                             "astra_errors_total",
                             "astra_error_resolution_time_seconds",
                             "astra_build_info",
                             "process_cpu_seconds_total"}) {
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
