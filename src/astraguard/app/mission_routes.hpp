#pragma once
// Mission-operations routes: thin adapters from HTTP to mission::Service (parse with
// mission/json.hpp, call the service, render JSON or an RFC 9457 problem naming the field).
//
//   GET  /api/v1/phase                      current phase, policy, history
//   POST /api/v1/phase                      {"phase", "force"?, "reason"?}; 409 on an invalid
//                                           transition unless force
//   GET  /api/v1/recovery/actions           ?limit=1..1000&satellite_id=
//   GET  /api/v1/history/anomalies          ?satellite_id&from&to&severity_min&type&limit&cursor
//   GET  /api/v1/anomalies/{id}
//   POST /api/v1/anomalies/{id}/feedback    {"label": "false_positive"|"confirmed", "note"?}
//   GET  /api/v1/status
//   POST /api/v1/telemetry/batch            {"telemetry": [1..1000 records]}
//
// Batch semantics: the envelope must be valid (JSON object with a "telemetry" array of 1..1000
// items), otherwise the whole batch is rejected (400/422). Each item is then decoded on its own:
// an invalid item does not stop the others; it gets {"index", "ok": false, "errors": [...]} with
// fields prefixed "telemetry[i]." and is not processed. Valid items are processed in order and
// get the same result object as POST /api/v1/telemetry plus "index" and "ok": true. Status 200
// when at least one item was processed; 422 (problem listing every item's errors) when none was.
//
// Thread-safety: handlers may run concurrently (the service is thread-safe). The service and
// limit checker and instrumentation must outlive the router.

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "astraguard/app/detector.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/ingest/telemetry.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/instrumentation.hpp"

namespace astraguard::app {

inline constexpr size_t kMaxBatchRecords = 1000;

using AddRoute = std::function<void(const char* method, const char* pattern, http::RouteHandler)>;

// The per-record pipeline shared by POST /api/v1/telemetry and the batch route: limit checks,
// then the mission service (classification, policy, recovery action, history). Returns the
// telemetry response object (detector fields + mission fields).
// Observability: a detection span and astra_detection_latency_seconds around the limit
// checks; anomalies counted in astra_anomalies_detected_total{severity} and logged as
// "anomaly_detected" with the mission's severity and fault type.
// The result is allocated from `sp` (e.g. a per-request monotonic resource, which must outlive
// it).
boost::json::object AssessRecord(const ingest::TelemetryRecord& record,
                                 Detector& detector, mission::Service& service,
                                 obs::Instrumentation& instr, std::string request_id,
                                 boost::json::storage_ptr sp = {});

void RegisterMissionRoutes(const AddRoute& add, mission::Service& service,
                           Detector& detector, obs::Instrumentation& instr,
                           std::function<std::string()> next_request_id);

}  // namespace astraguard::app
