#pragma once
// DetectionMetrics: the Prometheus handles of the per-record detection pipeline, resolved once
// at construction from the injected registry (the hot path is one atomic add or one histogram
// observation; no label lookups per record).
//
//   astra_anomalies_detected_total{severity}  counter    anomalies by mission severity
//                                                        (low|medium|high|critical)
//   astra_detection_latency_seconds           histogram  detection time per record, seconds
//
// Thread-safe (prometheus-cpp metrics are). The registry must outlive this object.

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>

#include "astraguard/mission/types.hpp"

namespace astraguard::mission {

class DetectionMetrics final {
 public:
  explicit DetectionMetrics(prometheus::Registry& registry);

  void Anomaly(Severity s) { anomalies_[static_cast<int>(s)]->Increment(); }
  void ObserveLatency(double seconds) { latency_->Observe(seconds); }

  // Bucket boundaries of astra_detection_latency_seconds: sub-millisecond up to 10 s.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

 private:
  std::array<prometheus::Counter*, 4> anomalies_{};  // by Severity
  prometheus::Histogram* latency_ = nullptr;
};

}  // namespace astraguard::mission
