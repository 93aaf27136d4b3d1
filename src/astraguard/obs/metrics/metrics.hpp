#pragma once
// Metrics: the Prometheus registry of one service instance, its text exposition, the HTTP
// route metrics, process metrics and scrape-time callback families.
//
// The composition root owns one Metrics and passes references down. Components resolve their
// own families from registry() in their constructors (see mission/metrics.hpp); this class
// defines only what it updates itself or what the transport records for every route:
//   astra_http_requests_total{method,endpoint,status}  RouteMetrics::Observe
//   astra_http_request_duration_seconds{endpoint}      RouteMetrics::Observe
//   astra_http_request_size_bytes{endpoint}            RouteMetrics::Observe
//   astra_http_response_size_bytes{endpoint}           RouteMetrics::Observe
//   astra_errors_total{type,endpoint}                  RouteMetrics::Observe, for every 5xx
//   astra_active_connections                           http::Server sessions
//   astra_build_info{version,environment}, process_* (read from /proc at scrape time), and the
//   AddCallback() families (read from their owners at scrape time).
// Labels are bounded: endpoint is a route template or a registered operation name, never a raw
// path; status is one of RouteMetrics's named codes or "other".
//
// Thread-safety: all methods may be called concurrently. Handles live as long as the Metrics.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_type.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace astraguard::obs {

struct MetricsConfig {
  std::string version;
  std::string environment;
};

// The handles of one (method, route template) pair. The series of the statuses the route was
// registered with exist from the start (at zero); any other status's series is created on its
// first use (Family::Add, once per status and route) and then read with one atomic load.
// Thread-safety: Observe may be called concurrently.
class RouteMetrics final {
 public:
  // Records one finished request. A status outside kStatuses is counted as "other".
  // 5xx also count astra_errors_total{type=internal|unavailable|timeout}.
  void Observe(int status, double seconds, size_t request_bytes, size_t response_bytes);

  static constexpr std::array<int, 17> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404, 405,
                                                    408, 409, 413, 415, 422, 429, 500, 503};

 private:
  friend class Metrics;
  static std::size_t SlotOf(int status);  // index into kStatuses, kStatuses.size() for other
  prometheus::Counter& Requests(std::size_t slot);
  prometheus::Counter& Error(std::size_t kind);  // 0 internal, 1 unavailable, 2 timeout

  prometheus::Family<prometheus::Counter>* requests_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_family_ = nullptr;
  std::string method_;
  std::string route_;
  std::array<std::atomic<prometheus::Counter*>, kStatuses.size() + 1> requests_{};  // last: other
  std::array<std::atomic<prometheus::Counter*>, 3> errors_{};
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
  // "/api/v1/anomalies/{id}", never a raw path. `statuses`: the codes whose series are created
  // now (what the route normally answers); others appear when first observed.
  RouteMetrics& ForRoute(std::string_view method, std::string_view route,
                         std::initializer_list<int> statuses = {200});

  prometheus::Gauge& active_connections() { return *active_connections_; }

  // A family whose single unlabelled value is read from `read` at scrape time (e.g. a counter
  // kept as an atomic by its owner). `read` must be thread-safe and outlive the Metrics.
  void AddCallback(std::string name, std::string help, prometheus::MetricType type,
                   std::function<double()> read);

  // Where components register their own families (in their constructors, never per request).
  prometheus::Registry& registry() { return *registry_; }

  // Prometheus text exposition format 0.0.4 of every family, process metrics included.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_total_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Family<prometheus::Histogram>* request_size_;
  prometheus::Family<prometheus::Histogram>* response_size_;
  prometheus::Family<prometheus::Counter>* errors_total_;
  prometheus::Gauge* active_connections_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
  std::shared_ptr<prometheus::Collectable> callback_collector_;
  std::mutex mu_;  // guards routes_ (registration only)
  std::vector<std::unique_ptr<RouteMetrics>> routes_;
};

// Bucket boundaries in seconds that resolve sub-millisecond service times up to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

struct MetricsAuthConfig {
  std::string user;      // METRICS_USER
  std::string password;  // METRICS_PASSWORD
  bool enabled() const { return !user.empty(); }
};

// Basic auth for /metrics (METRICS_USER / METRICS_PASSWORD). Compares the whole Authorization
// header in constant time. Thread-safe (immutable after construction).
class MetricsAuth final {
 public:
  MetricsAuth() = default;  // disabled: everything allowed
  MetricsAuth(std::string_view user, std::string_view password);
  bool enabled() const { return !expected_.empty(); }
  bool Allows(std::string_view authorization_header) const;
  static constexpr std::string_view kChallenge = "Basic realm=\"metrics\", charset=\"UTF-8\"";

 private:
  std::string expected_;  // "Basic base64(user:password)"
};

}  // namespace astraguard::obs
