#pragma once
// App: the composition root. Builds the object graph of one service instance from a Config —
// metrics, logger, tracing, detector, mission service, anomaly store, the service core
// (service::TelemetryService), router with every route, HTTP server — and owns its lifecycle:
// Start, then Shutdown (drain in-flight requests within the drain timeout, then stop).
// Dispatch is the request middleware: route matching, the server span, the access line and the
// route's metrics around every handler (handles resolved at registration; no lookups per
// request).
//
// Thread-safety: Start/Shutdown from the controlling thread; routes run on the io threads.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/http/server.hpp"
#include "astraguard/mission/detection_metrics.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/metrics/metrics.hpp"
#include "astraguard/obs/otlp/tracing_pipeline.hpp"
#include "astraguard/service/detector.hpp"
#include "astraguard/service/telemetry_service.hpp"
#include "astraguard/storage/anomaly_store.hpp"

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

  // Graceful shutdown: not ready, stop accepting, finish in-flight requests within the drain
  // timeout, stop. Returns false when the drain timeout expired with requests in progress.
  bool Shutdown();

 private:
  void Dispatch(const http::Request& req, http::Response& res);
  void RegisterRoutes();
  void RegisterObsCallbacks();
  // The metrics of a 405 on `pattern` (a known path): {method="other", endpoint=pattern}.
  obs::RouteMetrics* NotAllowedMetrics(std::string_view pattern) const;

  const config::Config config_;
  obs::Metrics metrics_;
  // Logs and traces: built from config.log and config.tracing; destroyed after server_ (declared before it), so
  // in-flight requests never outlive them. The tracing pipeline flushes on destruction.
  SystemClock clock_;
  std::unique_ptr<obs::Logger> logger_;
  std::unique_ptr<obs::TracingPipeline> tracing_;
  obs::MetricsAuth metrics_auth_;
  service::Detector detector_;
  // Mission operations: policy (loaded in the constructor; a load error fails Start), anomaly
  // history, mission service; then the service core every API route calls (clock_ above).
  Status policy_status_;
  Status store_status_;  // ASTRAGUARD_DATA_DIR unusable: fails Start
  mission::PolicySet policy_;
  std::unique_ptr<storage::AnomalyStore> anomaly_store_;
  std::unique_ptr<mission::MissionMetrics> mission_metrics_;
  std::unique_ptr<mission::DetectionMetrics> detection_metrics_;
  std::unique_ptr<mission::Service> mission_;
  std::unique_ptr<service::TelemetryService> service_;
  http::Router router_;
  obs::RouteMetrics* unmatched_metrics_ = nullptr;
  // One entry per route template, resolved at registration; searched only for 405s.
  std::vector<std::pair<std::string, obs::RouteMetrics*>> not_allowed_metrics_;
  obs::RouteMetrics* rejected_metrics_ = nullptr;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> ready_{false};
};

}  // namespace astraguard::app
