#pragma once
// Metrics: the Prometheus registry of one service instance and the handles its components use.
//
// The composition root owns one Metrics and passes references down. Every handle is resolved
// once (at construction or route registration); the request path only touches pre-resolved
// Counter/Histogram pointers, never a label lookup. Process metrics (CPU, memory, fds, start
// time) are read from /proc at scrape time.
//
// Thread-safety: all methods may be called concurrently. Handles returned by ForRoute live as
// long as the Metrics object.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace astraguard::obs {

struct MetricsConfig {
  std::string version;
  std::string environment;
};

// Pre-resolved handles for one (method, route template) pair.
class RouteMetrics final {
 public:
  // Records one finished request. `status` outside the pre-resolved set is counted as "other".
  void Observe(int status, double seconds, size_t request_bytes, size_t response_bytes);

 private:
  friend class Metrics;
  static constexpr std::array<int, 17> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404, 405,
                                                    408, 409, 413, 415, 422, 429, 500, 503};
  std::array<prometheus::Counter*, kStatuses.size() + 1> requests_{};  // last: other
  prometheus::Histogram* duration_ = nullptr;
  prometheus::Histogram* request_size_ = nullptr;
  prometheus::Histogram* response_size_ = nullptr;
};

class Metrics final {
 public:
  explicit Metrics(const MetricsConfig& config);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Resolves the handles of a route once, at registration. `route` is a template such as
  // "/api/v1/anomalies/{id}", never a raw path.
  RouteMetrics& ForRoute(std::string_view method, std::string_view route);

  prometheus::Gauge& active_connections() { return *active_connections_; }
  prometheus::Registry& registry() { return *registry_; }

  // Prometheus text exposition format 0.0.4 of every family, process metrics included.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_total_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Family<prometheus::Histogram>* request_size_;
  prometheus::Family<prometheus::Histogram>* response_size_;
  prometheus::Gauge* active_connections_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
  std::vector<std::unique_ptr<RouteMetrics>> routes_;
};

// Bucket boundaries in seconds that resolve sub-millisecond service times up to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace astraguard::obs
