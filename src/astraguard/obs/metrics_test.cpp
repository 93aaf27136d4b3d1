#include "astraguard/obs/metrics.hpp"

#include <gtest/gtest.h>

namespace astraguard::obs {
namespace {

TEST(MetricsTest, RouteObservationsAppearUnderTheRouteTemplate) {
  Metrics metrics({"1.2.3", "test"});
  RouteMetrics& route = metrics.ForRoute("GET", "/api/v1/anomalies/{id}");
  route.Observe(404, 0.0003, 0, 120);
  route.Observe(200, 0.0002, 0, 300);
  route.Observe(299, 0.0002, 0, 300);
  std::string text = metrics.Serialize();
  EXPECT_NE(text.find("astra_http_requests_total{endpoint=\"/api/v1/anomalies/{id}\",method=\"GET\","
                      "status=\"404\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"other\"} 1"), std::string::npos);
  EXPECT_NE(text.find("astra_http_request_duration_seconds_count{endpoint=\"/api/v1/anomalies/{id}\"} 3"),
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

}  // namespace
}  // namespace astraguard::obs
