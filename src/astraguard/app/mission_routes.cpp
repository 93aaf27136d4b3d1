#include "astraguard/app/mission_routes.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <chrono>

#include "astraguard/http/json_response.hpp"
#include "astraguard/http/problem.hpp"
#include "astraguard/ingest/json.hpp"
#include "astraguard/ingest/timestamp.hpp"
#include "astraguard/mission/json.hpp"

namespace astraguard::app {
namespace {

namespace json = boost::json;

static_assert(config::kPhaseCount == mission::kPhaseCount &&
              config::kPhaseNames[static_cast<int>(mission::Phase::kSafeMode)] == "SAFE_MODE" &&
              config::kPhaseNames[static_cast<int>(mission::Phase::kLaunch)] == "LAUNCH");
static_assert(static_cast<int>(obs::Severity::kLow) == static_cast<int>(mission::Severity::kLow) &&
              static_cast<int>(obs::Severity::kCritical) ==
                  static_cast<int>(mission::Severity::kCritical));

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

json::object AssessRecord(const ingest::TelemetryRecord& rec, Detector& detector,
                          mission::Service& service, obs::Instrumentation& instr,
                          std::string request_id, json::storage_ptr sp) {
  detect::Detection d;
  auto values = rec.Values();
  {
    // One pair of clock reads times the detection for both the histogram and the span.
    const auto t0 = std::chrono::steady_clock::now();
    auto detection_span = instr.DetectionSpan(1, detector.mode(), t0);
    d = detector.Evaluate(rec.satellite_id, values,
                          static_cast<size_t>(service.current_phase()));
    const auto t1 = std::chrono::steady_clock::now();
    instr.ObserveDetectionLatency(std::chrono::duration<double>(t1 - t0).count());
    detection_span->AddAttribute(obs::StaticKey("anomaly"), d.is_anomaly);  // a new key
    detection_span->End(t1);
  }

  mission::RecordInput in;
  in.satellite_id = rec.satellite_id;
  in.timestamp_ms =
      rec.timestamp
          ? std::chrono::duration_cast<std::chrono::milliseconds>(rec.timestamp->time_since_epoch())
                .count()
          : NowMs();
  in.readings.Set(mission::StdChannel::kVoltage, rec.voltage);
  in.readings.Set(mission::StdChannel::kTemperature, rec.temperature);
  in.readings.Set(mission::StdChannel::kGyro, rec.gyro);
  if (rec.current) in.readings.Set(mission::StdChannel::kCurrent, *rec.current);
  if (rec.wheel_speed) in.readings.Set(mission::StdChannel::kWheelSpeed, *rec.wheel_speed);
  mission::Assessment a = service.Process(in, d);
  if (a.is_anomaly) {
    const obs::Severity sev = static_cast<obs::Severity>(static_cast<int>(a.severity));
    instr.CountAnomaly(sev);
    instr.LogDetection(rec.satellite_id, sev, mission::FaultTypeName(a.type), a.confidence);
  }

  json::array contributing(sp);
  contributing.reserve(d.contributing.size());
  for (const auto& c : d.contributing) {
    contributing.push_back(
        {{"channel", c.channel}, {"value", c.value}, {"score", c.score}, {"reason", c.reason}});
  }
  json::object body(sp);
  body.reserve(24);
  body["id"] = std::move(request_id);
  body["satellite_id"] = rec.satellite_id;
  body["anomaly_score"] = a.is_anomaly ? a.anomaly_score : d.anomaly_score;
  body["confidence"] = a.is_anomaly ? a.confidence : d.confidence;
  mission::AppendAssessment(a, body);
  if (!a.is_anomaly) {
    body["reasoning"] = d.contributing.empty()
                            ? std::string("All telemetry parameters within limits")
                            : d.contributing.front().reason;
  }
  body["detector"] = detector.mode();
  body["timestamp"] =
      ingest::FormatRfc3339(rec.timestamp ? *rec.timestamp
                                          : std::chrono::time_point_cast<std::chrono::microseconds>(
                                                std::chrono::system_clock::now()));
  body["contributing_channels"] = std::move(contributing);
  return body;
}

void RegisterMissionRoutes(const AddRoute& add, mission::Service& service,
                           Detector& detector, obs::Instrumentation& instr,
                           std::function<std::string()> next_request_id) {
  mission::Service* svc = &service;
  Detector* det = &detector;
  obs::Instrumentation* ins = &instr;

  add("GET", "/api/v1/phase",
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(mission::PhaseJson(svc->GetPhase()), res);
      });

  add("POST", "/api/v1/phase",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        auto r = mission::ParsePhaseRequest(req.body);
        if (!r.ok()) return http::WriteProblem(r.status(), res);
        auto ch = svc->SetPhase(r->phase, r->force, r->reason.empty() ? "operator" : r->reason);
        if (!ch.ok()) return http::WriteProblem(ch.status(), res);
        http::WriteJson(mission::PhaseChangeJson(*ch), res);
      });

  add("GET", "/api/v1/recovery/actions",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        auto params = mission::ParseQueryString(req.query());
        if (!params.ok()) return http::WriteProblem(params.status(), res);
        auto q = mission::ParseActionsQuery(*params);
        if (!q.ok()) return http::WriteProblem(q.status(), res);
        std::optional<std::string_view> sat;
        if (q->satellite_id) sat = *q->satellite_id;
        http::WriteJson(mission::ActionsJson(svc->RecentActions(q->limit, sat)), res);
      });

  add("GET", "/api/v1/history/anomalies",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        auto params = mission::ParseQueryString(req.query());
        if (!params.ok()) return http::WriteProblem(params.status(), res);
        auto q = mission::ParseHistoryQuery(*params);
        if (!q.ok()) return http::WriteProblem(q.status(), res);
        auto page = svc->QueryHistory(*q);
        if (!page.ok()) return http::WriteProblem(page.status(), res);
        http::WriteJson(mission::HistoryJson(*page), res);
      });

  add("GET", "/api/v1/anomalies/{id}",
      [svc](const http::Request&, const http::PathParams& p, http::Response& res) {
        auto r = svc->GetAnomaly(p.Get("id"));
        if (!r.ok()) return http::WriteProblem(r.status(), res);
        http::WriteJson(mission::AnomalyJson(*r), res);
      });

  add("POST", "/api/v1/anomalies/{id}/feedback",
      [svc](const http::Request& req, const http::PathParams& p, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        auto f = mission::ParseFeedbackRequest(req.body);
        if (!f.ok()) return http::WriteProblem(f.status(), res);
        auto r = svc->SubmitFeedback(p.Get("id"), f->label, std::move(f->note));
        if (!r.ok()) return http::WriteProblem(r.status(), res);
        http::WriteJson(mission::FeedbackJson(*r), res);
      });

  add("GET", "/api/v1/status",
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(mission::StatusJson(svc->GetStatus()), res);
      });

  add("POST", "/api/v1/telemetry/batch",
      [svc, det, ins, next_request_id](const http::Request& req, const http::PathParams&,
                                       http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        auto parsed = ingest::ParseStrict(req.body);
        if (!parsed.ok()) return http::WriteProblem(parsed.status(), res);
        if (!parsed->is_object()) {
          return http::WriteProblem(
              Status::Error(Code::kInvalidArgument, "body must be a JSON object",
                            {{"body", "must be a JSON object"}}),
              res);
        }
        const json::object& o = parsed->as_object();
        for (const auto& kv : o) {
          if (kv.key() != "telemetry") {
            return http::WriteProblem(
                Status::Error(Code::kValidation, fmt::format("unknown field '{}'", kv.key()),
                              {{std::string(kv.key()), "unknown field"}}),
                res);
          }
        }
        const json::value* items = o.if_contains("telemetry");
        if (!items || !items->is_array()) {
          return http::WriteProblem(
              Status::Error(Code::kValidation, "telemetry: required array of 1..1000 records",
                            {{"telemetry", "required array of 1..1000 records"}}),
              res);
        }
        const json::array& arr = items->as_array();
        if (arr.empty() || arr.size() > kMaxBatchRecords) {
          return http::WriteProblem(
              Status::Error(Code::kValidation,
                            fmt::format("telemetry: {} records; must be 1..1000", arr.size()),
                            {{"telemetry", "must hold 1..1000 records"}}),
              res);
        }
        json::array results;
        results.reserve(arr.size());
        size_t accepted = 0, anomalies = 0;
        std::vector<FieldError> all_errors;
        for (size_t i = 0; i < arr.size(); ++i) {
          auto rec = ingest::DecodeTelemetry(arr[i], fmt::format("telemetry[{}].", i));
          if (!rec.ok()) {
            json::array errs;
            for (const auto& f : rec.status().fields()) {
              errs.push_back({{"field", f.field}, {"message", f.message}});
              all_errors.push_back(f);
            }
            if (rec.status().fields().empty()) {
              errs.push_back({{"field", fmt::format("telemetry[{}]", i)},
                              {"message", rec.status().message()}});
              all_errors.push_back({fmt::format("telemetry[{}]", i), rec.status().message()});
            }
            results.push_back({{"index", i}, {"ok", false}, {"errors", std::move(errs)}});
            continue;
          }
          json::object r = AssessRecord(*rec, *det, *svc, *ins, next_request_id());
          anomalies += r["is_anomaly"].as_bool();
          r["index"] = i;
          r["ok"] = true;
          results.push_back(std::move(r));
          ++accepted;
        }
        if (accepted == 0) {
          return http::WriteProblem(
              Status::Error(
                  Code::kValidation,
                  fmt::format("all {} records are invalid; nothing was processed", arr.size()),
                  std::move(all_errors)),
              res);
        }
        json::object body;
        body["total_received"] = arr.size();
        body["total_processed"] = accepted;
        body["rejected"] = arr.size() - accepted;
        body["anomalies_detected"] = anomalies;
        body["results"] = std::move(results);
        http::WriteJson(body, res);
      });
}

}  // namespace astraguard::app
