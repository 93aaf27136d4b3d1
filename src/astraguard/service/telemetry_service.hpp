#pragma once
// TelemetryService: the service core. The per-record pipeline (decode -> detect -> classify ->
// decide -> store -> render) and the logic of every API endpoint, without any transport: each
// method takes what the request carried (body, query string, path parameter) and returns the
// JSON response body, or a Status that http/problem.hpp maps to an RFC 9457 problem (400/404/
// 409/422). app/ adapts these methods to HTTP routes (content-type checks stay there).
//
//   AssessOne        POST /api/v1/telemetry
//   AssessBatch      POST /api/v1/telemetry/batch   {"telemetry": [1..1000 records]}
//   GetPhase         GET  /api/v1/phase
//   SetPhase         POST /api/v1/phase             {"phase", "force"?, "reason"?}; kConflict on
//                                                   an invalid transition unless force
//   RecoveryActions  GET  /api/v1/recovery/actions  ?limit=1..1000&satellite_id=
//   History          GET  /api/v1/history/anomalies ?satellite_id&from&to&severity_min&type&
//                                                   limit&cursor
//   GetAnomaly       GET  /api/v1/anomalies/{id}
//   SubmitFeedback   POST /api/v1/anomalies/{id}/feedback {"label", "note"?}; the record is
//                    kept out of the detector's online training history
//   GetStatus        GET  /api/v1/status
//   Satellites       GET  /api/v1/satellites        latest record of each satellite (TTL)
//   GetHealth        GET  /health
//
// Time is read only from the injected Clock: a record without a timestamp is stamped with
// Clock::WallNow(), detection latency is measured with Clock::Now().
//
// Batch semantics: the envelope must be valid (JSON object with a "telemetry" array of 1..1000
// items), otherwise the whole batch is rejected (kInvalidArgument/kValidation). Each item is then
// decoded on its own: an invalid item does not stop the others; it gets {"index", "ok": false,
// "errors": [...]} with fields prefixed "telemetry[i]." and is not processed. Valid items are
// processed in order and get the same result object as AssessOne plus "index" and "ok": true.
// When no item was valid the result is a kValidation Status listing every item's errors.
//
// Observability: an "anomaly_detection" span (child of the current span; attributes data.size,
// model, anomaly) and astra_detection_latency_seconds around each detection; anomalies counted
// in astra_anomalies_detected_total{severity} and logged (info, logger "astraguard.detection")
// as "anomaly_detected" with satellite, the mission's severity and fault type, and confidence.
//
// Thread-safe: all methods may be called concurrently (the detector, mission service and store
// are thread-safe).
// Lifetime: the detector, mission service, store, clock, metrics, tracer and logger must
// outlive it.

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/ingest/telemetry.hpp"
#include "astraguard/mission/detection_metrics.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/trace/tracer.hpp"
#include "astraguard/service/detector.hpp"
#include "astraguard/storage/anomaly_store.hpp"
#include "astraguard/storage/latest_store.hpp"

namespace astraguard::service {

inline constexpr size_t kMaxBatchRecords = 1000;

struct TelemetryServiceOptions {
  std::string version;      // reported by GET /health
  std::string environment;  // reported by GET /health
  // Every assessed record is put here (GET /api/v1/satellites); null: not kept. Must outlive
  // the service.
  storage::LatestTelemetryStore* latest = nullptr;
};

// GET /health: `body` is the response; `unhealthy` asks for a 503 instead of a 200.
struct HealthReport {
  boost::json::object body;
  bool unhealthy = false;
};

class TelemetryService final {
 public:
  TelemetryService(const TelemetryServiceOptions& options, Detector& detector,
                   mission::Service& mission, const storage::AnomalyStore& store,
                   const Clock& clock, mission::DetectionMetrics& metrics, obs::Tracer& tracer,
                   obs::Logger& logger);

  // Decodes one record and runs it through the pipeline. The result is allocated from `sp`
  // (e.g. a per-request monotonic resource, which must outlive it).
  Result<boost::json::object> AssessOne(std::string_view body, boost::json::storage_ptr sp = {});
  // The pipeline for one decoded record: detection, then the mission service (sensor
  // signatures, classification, policy, recovery action, history). Returns the telemetry
  // response object (detector fields + mission fields), allocated from `sp`.
  boost::json::object Assess(const ingest::TelemetryRecord& record,
                             boost::json::storage_ptr sp = {});
  Result<boost::json::object> AssessBatch(std::string_view body);

  boost::json::object GetPhase() const;
  Result<boost::json::object> SetPhase(std::string_view body);
  Result<boost::json::object> RecoveryActions(std::string_view query) const;
  Result<boost::json::object> History(std::string_view query) const;
  Result<boost::json::object> GetAnomaly(std::string_view id) const;
  Result<boost::json::object> SubmitFeedback(std::string_view id, std::string_view body);
  boost::json::object GetStatus() const;
  // No query parameters: kValidation naming any.
  Result<boost::json::object> Satellites(std::string_view query) const;
  // `serving`: the transport accepts requests (ready); `draining`: it is shutting down. Reported
  // as the "http" component beside the detector and the anomaly store; the overall status is
  // "unhealthy" when not serving, else "degraded" when any component is, else "healthy".
  HealthReport GetHealth(bool serving, bool draining) const;

 private:
  const TelemetryServiceOptions options_;
  Detector& detector_;
  mission::Service& mission_;
  const storage::AnomalyStore& store_;
  const Clock& clock_;
  mission::DetectionMetrics& metrics_;
  obs::Tracer& tracer_;
  obs::Logger& logger_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace astraguard::service
