#pragma once
// App: the composition root. Builds the object graph of one service instance from a Config —
// metrics, logger, tracing, detector, mission service, anomaly store, the service core
// (service::TelemetryService), router with every route, HTTP server — and owns its lifecycle:
// Start, then Shutdown (drain in-flight requests within the drain timeout, then stop).
// Dispatch is the request middleware: route matching, CORS, access control (API key, role, rate
// limit; auth/access_control.hpp), the server span, the access line and the route's metrics
// around every handler (handles resolved at registration; no lookups per request), and the
// chaos experiments request_latency and error_rate (below).
// Resilience: a HealthRegistry probes the detector and the OTLP exporter's breaker on an
// interval (GET /health lists them, and every circuit breaker); chaos::Chaos serves
// /api/v1/chaos and flips the FaultSwitches that the detector (model_failure), the exporter
// (exporter_outage) and Dispatch read. While request_latency runs, every /api/v1/ request but
// /api/v1/chaos* waits that long on its io thread before its handler; while error_rate runs,
// that fraction of them is answered with a 503 problem instead of the handler (the point of
// the experiment: clients see failures). /health, /metrics and /api/v1/chaos are never
// disturbed, so that an experiment can be watched and stopped.
//
// Thread-safety: Start/Shutdown from the controlling thread; routes run on the io threads.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/auth/access_control.hpp"
#include "astraguard/auth/rate_limiter.hpp"
#include "astraguard/auth/redis_rate_limiter.hpp"
#include "astraguard/chaos/chaos.hpp"
#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/http/server.hpp"
#include "astraguard/kv/redis_client.hpp"
#include "astraguard/mission/detection_metrics.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/metrics/metrics.hpp"
#include "astraguard/obs/otlp/tracing_pipeline.hpp"
#include "astraguard/resilience/circuit_breaker.hpp"
#include "astraguard/resilience/fault_switches.hpp"
#include "astraguard/resilience/health.hpp"
#include "astraguard/service/detector.hpp"
#include "astraguard/service/telemetry_service.hpp"
#include "astraguard/storage/action_log_store.hpp"
#include "astraguard/storage/anomaly_store.hpp"
#include "astraguard/storage/cooldown_store.hpp"
#include "astraguard/storage/latest_store.hpp"
#include "astraguard/storage/redis_anomaly_store.hpp"

namespace astraguard::app {

class App final {
 public:
  explicit App(const config::Config& config);
  ~App();

  // Binds the listeners and starts serving; ready once this returns ok.
  Status Start();
  uint16_t api_port() const { return server_->api_port(); }
  uint16_t metrics_port() const { return server_->metrics_port(); }
  // The service's Logger (stdout): the CLI writes its lifecycle and demo lines through it.
  obs::Logger& logger() { return *logger_; }
  // Every route with its declared role (tests generate their tables from it).
  const http::Router& router() const { return router_; }

  // Graceful shutdown: not ready, stop accepting, finish in-flight requests within the drain
  // timeout, stop. Returns false when the drain timeout expired with requests in progress.
  bool Shutdown();

 private:
  void Dispatch(const http::Request& req, http::Response& res);
  void RegisterRoutes();
  void RegisterObsCallbacks();
  void RegisterHealthProbes();
  // Chaos middleware: true when it answered (error_rate) instead of the handler.
  bool Disturb(std::string_view route, http::Response& res) const;
  // The metrics of a 405 on `pattern` (a known path): {method="other", endpoint=pattern}.
  obs::RouteMetrics* NotAllowedMetrics(std::string_view pattern) const;

  const config::Config config_;
  obs::Metrics metrics_;
  // Logs and traces: built from config.log and config.tracing; destroyed after server_ (declared before it), so
  // in-flight requests never outlive them. The tracing pipeline flushes on destruction.
  SystemClock clock_;
  // Chaos switches, read by the detector, the exporter and Dispatch (see above).
  resilience::FaultSwitches faults_;
  // Probes dependencies on an interval; stopped in ~App before anything a probe reads goes.
  std::unique_ptr<resilience::HealthRegistry> health_;
  std::unique_ptr<obs::Logger> logger_;
  std::unique_ptr<obs::TracingPipeline> tracing_;
  obs::MetricsAuth metrics_auth_;
  std::vector<const resilience::CircuitBreaker*> breakers_;  // listed by GET /health
  service::Detector detector_;
  // Mission operations: policy (loaded in the constructor; a load error fails Start), anomaly
  // history, mission service; then the service core every API route calls (clock_ above).
  Status policy_status_;
  Status store_status_;  // ASTRAGUARD_DATA_DIR unusable: fails Start
  mission::PolicySet policy_;
  // With REDIS_URL: the "redis" breaker and the client the Redis stores share.
  std::unique_ptr<storage::MemoryEngineMetrics> memory_metrics_;
  std::unique_ptr<resilience::CircuitBreaker> redis_breaker_;
  std::unique_ptr<kv::RedisClient> redis_;
  std::unique_ptr<storage::AnomalyStore> anomaly_store_;
  std::unique_ptr<storage::PhaseStore> phase_store_;
  std::unique_ptr<storage::CooldownStore> cooldown_store_;
  std::unique_ptr<storage::ActionLogStore> action_log_store_;
  std::unique_ptr<storage::LatestTelemetryStore> latest_;  // per satellite, in Redis too
  std::unique_ptr<mission::MissionMetrics> mission_metrics_;
  std::unique_ptr<mission::DetectionMetrics> detection_metrics_;
  std::unique_ptr<mission::Service> mission_;
  std::unique_ptr<service::TelemetryService> service_;
  // Access control: keys, roles, rate limits (in-process buckets, or in Redis with REDIS_URL,
  // falling back to the in-process ones) and CORS.
  auth::LocalRateLimiter rate_limiter_;
  std::unique_ptr<auth::RedisRateLimiter> shared_rate_limiter_;
  std::unique_ptr<auth::AccessControl> access_;
  std::unique_ptr<chaos::Chaos> chaos_;
  http::Router router_;
  obs::RouteMetrics* unmatched_metrics_ = nullptr;
  // One entry per route template, resolved at registration; searched only for 405s.
  std::vector<std::pair<std::string, obs::RouteMetrics*>> not_allowed_metrics_;
  obs::RouteMetrics* rejected_metrics_ = nullptr;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> ready_{false};
};

}  // namespace astraguard::app
