#pragma once
// App: the composition root. Builds the object graph of one service instance from a Config —
// metrics, detector, router with every route, HTTP server — and owns its lifecycle:
// Start, then Shutdown (drain in-flight requests within the drain timeout, then stop).
//
// Thread-safety: Start/Shutdown from the controlling thread; routes run on the io threads.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/app/detector.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/http/server.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/instrumentation.hpp"
#include "astraguard/obs/logger.hpp"
#include "astraguard/obs/metrics.hpp"
#include "astraguard/obs/tracing_pipeline.hpp"
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

  // Graceful shutdown: not ready, stop accepting, finish in-flight requests within the drain
  // timeout, stop. Returns false when the drain timeout expired with requests in progress.
  bool Shutdown();

 private:
  void Dispatch(const http::Request& req, http::Response& res);
  void RegisterRoutes();
  void RegisterObsCallbacks();
  std::string NextRequestId();

  const config::Config config_;
  const std::chrono::steady_clock::time_point started_;
  obs::Metrics metrics_;
  // Logs and traces: built from config.obs; destroyed after server_ (declared before it), so
  // in-flight requests never outlive them. The tracing pipeline flushes on destruction.
  SystemClock clock_;
  std::unique_ptr<obs::Logger> logger_;
  std::unique_ptr<obs::TracingPipeline> tracing_;
  std::unique_ptr<obs::Instrumentation> instr_;
  obs::MetricsAuth metrics_auth_;
  Detector detector_;
  // Mission operations: policy (loaded in the constructor; a load error fails Start), anomaly
  // history, and the service the telemetry and mission routes call (clock_ above).
  Status policy_status_;
  mission::PolicySet policy_;
  std::unique_ptr<storage::AnomalyStore> anomaly_store_;
  std::unique_ptr<mission::MissionMetrics> mission_metrics_;
  std::unique_ptr<mission::Service> mission_;
  http::Router router_;
  obs::RouteMetrics* unmatched_metrics_ = nullptr;
  obs::RouteMetrics* rejected_metrics_ = nullptr;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> ready_{false};
  const std::string id_prefix_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace astraguard::app
