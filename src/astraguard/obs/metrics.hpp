#pragma once
// Metrics: the Prometheus registry of one service instance and the handles its components use.
//
// The composition root owns one Metrics and passes references down. Every handle is resolved
// once (at construction or registration: the For*/Add* methods do a label lookup and must not
// be called per request); the request path only touches pre-resolved Counter/Gauge/Histogram
// pointers. Process metrics (CPU, memory, fds, start time) are read from /proc at scrape time;
// callback metrics (log drops, span export counters) are read from their owners at scrape time.
//
// Families (all defined here; the component named updates them):
//   astra_http_requests_total{method,endpoint,status}     app/http   RouteMetrics::Observe
//   astra_http_request_duration_seconds{endpoint}         app/http   RouteMetrics::Observe
//   astra_http_request_size_bytes{endpoint}               app/http   RouteMetrics::Observe
//   astra_http_response_size_bytes{endpoint}              app/http   RouteMetrics::Observe
//   astra_active_connections                              http       Server sessions
//   astra_errors_total{type,endpoint}                     app/http   RouteMetrics (5xx) + Errors()
//   astra_error_resolution_time_seconds{error_type}       resilience ErrorResolution()
//   astra_anomalies_detected_total{severity}              detection  DetectionMetrics::Anomaly
//   astra_detection_latency_seconds                       detection  DetectionMetrics::Observe
//   astra_detection_accuracy                              detection  DetectionMetrics::SetAccuracy
//   astra_false_positives_total{detector}                 detection  FalsePositives()
//   astra_circuit_breaker_state{name}                     resilience BreakerMetrics
//   astra_circuit_breaker_transitions_total{name,from_state,to_state}  BreakerMetrics
//   astra_retry_attempts_total{endpoint,outcome}          resilience RetryMetrics
//   astra_retry_latency_seconds{endpoint}                 resilience RetryMetrics
//   astra_chaos_injections_total{type,status}             chaos      ChaosMetrics
//   astra_chaos_recovery_time_seconds{type}               chaos      ChaosMetrics
//   astra_recovery_actions_total{type,status}             recovery   RecoveryMetrics
//   astra_health_check_failures_total{service}            health     HealthCheckFailures()
//   astra_memory_engine_{hits,misses}_total{store_type}, astra_memory_engine_size_bytes{store_type}
//                                                         storage    StoreMetrics
//   astra_build_info{version,environment}, process_*, plus AddCallback() families.
// Labels are bounded: endpoint is a route template or a registered operation name, never a raw
// path; no label is per satellite or per request.
//
// Thread-safety: all methods may be called concurrently. Handles live as long as the Metrics.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_type.h>
#include <prometheus/registry.h>

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace astraguard::obs {

struct MetricsConfig {
  std::string version;
  std::string environment;
};

// Pre-resolved handles for one (method, route template) pair.
class RouteMetrics final {
 public:
  // Records one finished request. `status` outside the pre-resolved set is counted as "other".
  // 5xx also count astra_errors_total{type=internal|unavailable|timeout}.
  void Observe(int status, double seconds, size_t request_bytes, size_t response_bytes);

 private:
  friend class Metrics;
  static constexpr std::array<int, 17> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404, 405,
                                                    408, 409, 413, 415, 422, 429, 500, 503};
  std::array<prometheus::Counter*, kStatuses.size() + 1> requests_{};  // last: other
  prometheus::Histogram* duration_ = nullptr;
  prometheus::Histogram* request_size_ = nullptr;
  prometheus::Histogram* response_size_ = nullptr;
  prometheus::Counter* error_internal_ = nullptr;
  prometheus::Counter* error_unavailable_ = nullptr;
  prometheus::Counter* error_timeout_ = nullptr;
};

enum class Severity { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };
std::string_view SeverityLabel(Severity s);  // "low", "medium", "high", "critical"
// Accepts LOW/MEDIUM/HIGH/CRITICAL in any case.
std::optional<Severity> ParseSeverity(std::string_view s);

class DetectionMetrics final {
 public:
  void Observe(double seconds) { latency_->Observe(seconds); }
  void Anomaly(Severity s) { anomalies_[static_cast<int>(s)]->Increment(); }
  // Fraction of correct verdicts in [0, 1] from the latest labelled evaluation.
  void SetAccuracy(double ratio) { accuracy_->Set(ratio); }

 private:
  friend class Metrics;
  prometheus::Histogram* latency_ = nullptr;
  std::array<prometheus::Counter*, 4> anomalies_{};
  prometheus::Gauge* accuracy_ = nullptr;
};

enum class BreakerState { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
std::string_view BreakerStateLabel(BreakerState s);  // "closed", "open", "half_open"

class BreakerMetrics final {
 public:
  // Sets the state gauge and counts the transition (no-op count when from == to).
  void Transition(BreakerState from, BreakerState to);
  void Set(BreakerState s) { state_->Set(static_cast<double>(s)); }

 private:
  friend class Metrics;
  prometheus::Gauge* state_ = nullptr;
  std::array<std::array<prometheus::Counter*, 3>, 3> transitions_{};  // [from][to], diag null
};

enum class RetryOutcome { kSuccess = 0, kRetry = 1, kExhausted = 2, kFailure = 3 };

class RetryMetrics final {
 public:
  // kSuccess: the call succeeded (possibly after retries); kRetry: one more attempt is made;
  // kExhausted: attempts or budget ran out; kFailure: a non-retryable failure.
  void Attempt(RetryOutcome o) { outcomes_[static_cast<int>(o)]->Increment(); }
  // Time added by retrying (backoff + extra attempts) for one call, in seconds.
  void ObserveLatency(double seconds) { latency_->Observe(seconds); }

 private:
  friend class Metrics;
  std::array<prometheus::Counter*, 4> outcomes_{};
  prometheus::Histogram* latency_ = nullptr;
};

class ChaosMetrics final {
 public:
  void Injection(bool success) { (success ? success_ : failed_)->Increment(); }
  void ObserveRecovery(double seconds) { recovery_->Observe(seconds); }

 private:
  friend class Metrics;
  prometheus::Counter* success_ = nullptr;
  prometheus::Counter* failed_ = nullptr;
  prometheus::Histogram* recovery_ = nullptr;
};

enum class ActionStatus { kSuccess = 0, kFailure = 1, kSkipped = 2 };

class RecoveryMetrics final {
 public:
  void Action(ActionStatus s) { status_[static_cast<int>(s)]->Increment(); }

 private:
  friend class Metrics;
  std::array<prometheus::Counter*, 3> status_{};
};

class StoreMetrics final {
 public:
  void Hit() { hits_->Increment(); }
  void Miss() { misses_->Increment(); }
  void SetSizeBytes(double bytes) { size_->Set(bytes); }

 private:
  friend class Metrics;
  prometheus::Counter* hits_ = nullptr;
  prometheus::Counter* misses_ = nullptr;
  prometheus::Gauge* size_ = nullptr;
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
  DetectionMetrics& detection() { return detection_; }

  // Registration-time lookups (each call does a label lookup; keep the returned reference).
  BreakerMetrics& ForBreaker(std::string_view name);
  RetryMetrics& ForRetry(std::string_view endpoint);
  ChaosMetrics& ForChaos(std::string_view type);
  RecoveryMetrics& ForRecovery(std::string_view type);
  StoreMetrics& ForStore(std::string_view store_type);
  prometheus::Counter& HealthCheckFailures(std::string_view service);
  prometheus::Counter& FalsePositives(std::string_view detector);
  prometheus::Counter& Errors(std::string_view type, std::string_view endpoint);
  prometheus::Histogram& ErrorResolution(std::string_view error_type);

  // A family whose single unlabelled value is read from `read` at scrape time (e.g. a counter
  // kept as an atomic by its owner). `read` must be thread-safe and outlive the Metrics.
  void AddCallback(std::string name, std::string help, prometheus::MetricType type,
                   std::function<double()> read);

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
  prometheus::Family<prometheus::Histogram>* error_resolution_;
  prometheus::Family<prometheus::Gauge>* breaker_state_;
  prometheus::Family<prometheus::Counter>* breaker_transitions_;
  prometheus::Family<prometheus::Counter>* retry_attempts_;
  prometheus::Family<prometheus::Histogram>* retry_latency_;
  prometheus::Family<prometheus::Counter>* chaos_injections_;
  prometheus::Family<prometheus::Histogram>* chaos_recovery_;
  prometheus::Family<prometheus::Counter>* recovery_actions_;
  prometheus::Family<prometheus::Counter>* health_check_failures_;
  prometheus::Family<prometheus::Counter>* false_positives_;
  prometheus::Family<prometheus::Counter>* store_hits_;
  prometheus::Family<prometheus::Counter>* store_misses_;
  prometheus::Family<prometheus::Gauge>* store_size_;
  prometheus::Gauge* active_connections_;
  DetectionMetrics detection_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
  std::shared_ptr<prometheus::Collectable> callback_collector_;
  std::mutex mu_;  // guards the handle vectors below (registration only)
  std::vector<std::unique_ptr<RouteMetrics>> routes_;
  std::vector<std::unique_ptr<BreakerMetrics>> breakers_;
  std::vector<std::unique_ptr<RetryMetrics>> retries_;
  std::vector<std::unique_ptr<ChaosMetrics>> chaos_;
  std::vector<std::unique_ptr<RecoveryMetrics>> recoveries_;
  std::vector<std::unique_ptr<StoreMetrics>> stores_;
};

// Bucket boundaries in seconds that resolve sub-millisecond service times up to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

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
