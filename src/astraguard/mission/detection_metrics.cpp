#include "astraguard/mission/detection_metrics.hpp"

#include <string>

namespace astraguard::mission {

const prometheus::Histogram::BucketBoundaries& DetectionMetrics::LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
  return b;
}

DetectionMetrics::DetectionMetrics(prometheus::Registry& registry) {
  auto& anomalies = prometheus::BuildCounter()
                        .Name("astra_anomalies_detected_total")
                        .Help("Anomalies detected by severity.")
                        .Register(registry);
  static constexpr const char* kLabels[] = {"low", "medium", "high", "critical"};
  for (Severity s : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical})
    anomalies_[static_cast<int>(s)] = &anomalies.Add({{"severity", kLabels[static_cast<int>(s)]}});
  latency_ = &prometheus::BuildHistogram()
                  .Name("astra_detection_latency_seconds")
                  .Help("Anomaly detection latency per record, in seconds.")
                  .Register(registry)
                  .Add({}, LatencyBuckets());
}

}  // namespace astraguard::mission
