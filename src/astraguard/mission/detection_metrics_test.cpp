#include "astraguard/mission/detection_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace astraguard::mission {
namespace {

std::string Scrape(prometheus::Registry& r) {
  return prometheus::TextSerializer().Serialize(r.Collect());
}

TEST(DetectionMetricsTest, CountsAnomaliesByLowerCaseSeverity) {
  prometheus::Registry registry;
  DetectionMetrics m(registry);
  m.Anomaly(Severity::kCritical);
  m.Anomaly(Severity::kCritical);
  m.Anomaly(Severity::kLow);
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("# HELP astra_anomalies_detected_total Anomalies detected by severity."),
            std::string::npos);
  EXPECT_NE(text.find("astra_anomalies_detected_total{severity=\"critical\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("astra_anomalies_detected_total{severity=\"low\"} 1"), std::string::npos);
  EXPECT_NE(text.find("astra_anomalies_detected_total{severity=\"medium\"} 0"), std::string::npos);
  EXPECT_NE(text.find("astra_anomalies_detected_total{severity=\"high\"} 0"), std::string::npos);
}

TEST(DetectionMetricsTest, LatencyHistogramResolvesSubMillisecondTimes) {
  prometheus::Registry registry;
  DetectionMetrics m(registry);
  m.ObserveLatency(0.0004);
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("# HELP astra_detection_latency_seconds Anomaly detection latency per "
                      "record, in seconds."),
            std::string::npos);
  EXPECT_NE(text.find("astra_detection_latency_seconds_bucket{le=\"0.00025\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("astra_detection_latency_seconds_bucket{le=\"0.0005\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("astra_detection_latency_seconds_bucket{le=\"10\"} 1"), std::string::npos);
  EXPECT_EQ(DetectionMetrics::LatencyBuckets().size(), 17u);
}

}  // namespace
}  // namespace astraguard::mission
