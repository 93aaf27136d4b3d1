#include "astraguard/service/telemetry_service.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "astraguard/ingest/json.hpp"
#include "astraguard/ingest/timestamp.hpp"
#include "astraguard/mission/json.hpp"

namespace astraguard::service {
namespace {

namespace json = boost::json;

}  // namespace

TelemetryService::TelemetryService(const TelemetryServiceOptions& options, Detector& detector,
                                   mission::Service& mission, const storage::AnomalyStore& store,
                                   const Clock& clock, mission::DetectionMetrics& metrics,
                                   obs::Tracer& tracer, obs::Logger& logger)
    : options_(options),
      detector_(detector),
      mission_(mission),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      tracer_(tracer),
      logger_(logger),
      started_(clock.Now()) {}

Result<json::object> TelemetryService::AssessOne(std::string_view body, json::storage_ptr sp) {
  auto rec = ingest::ParseTelemetry(body);
  if (!rec.ok()) return rec.status();
  return Assess(*rec, std::move(sp));
}

json::object TelemetryService::Assess(const ingest::TelemetryRecord& rec, json::storage_ptr sp) {
  // A record without a timestamp is stamped once, so the mission layer and the response agree;
  // the detector tags the record's training history with it (feedback excludes it by it).
  const ingest::Timestamp timestamp =
      rec.timestamp ? *rec.timestamp
                    : std::chrono::time_point_cast<std::chrono::microseconds>(clock_.WallNow());
  const std::int64_t timestamp_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(timestamp.time_since_epoch()).count();
  detect::Detection d;
  auto values = rec.Values();
  {
    // One pair of clock reads times the detection for both the histogram and the span.
    const auto t0 = clock_.Now();
    obs::ScopedSpan span(tracer_.StartSpan("anomaly_detection", obs::SpanKind::kInternal, t0));
    span->AddAttribute(obs::StaticKey("data.size"), std::int64_t{1});  // fresh span: distinct keys
    span->AddAttribute(obs::StaticKey("model"), std::string_view(detector_.mode()));
    d = detector_.Evaluate(rec.satellite_id, values, static_cast<size_t>(mission_.current_phase()),
                           timestamp_ms);
    const auto t1 = clock_.Now();
    metrics_.ObserveLatency(std::chrono::duration<double>(t1 - t0).count());
    span->AddAttribute(obs::StaticKey("anomaly"), d.is_anomaly);
    span->End(t1);
  }

  mission::RecordInput in;
  in.satellite_id = rec.satellite_id;
  in.timestamp_ms = timestamp_ms;
  in.readings.Set(mission::StdChannel::kVoltage, rec.voltage);
  in.readings.Set(mission::StdChannel::kTemperature, rec.temperature);
  in.readings.Set(mission::StdChannel::kGyro, rec.gyro);
  if (rec.current) in.readings.Set(mission::StdChannel::kCurrent, *rec.current);
  if (rec.wheel_speed) in.readings.Set(mission::StdChannel::kWheelSpeed, *rec.wheel_speed);
  mission::Assessment a = mission_.Process(in, d);
  if (options_.latest != nullptr) {
    storage::LatestTelemetry latest;
    latest.satellite_id = rec.satellite_id;
    latest.timestamp_ms = in.timestamp_ms;
    latest.received_ms = UnixMillis(clock_.WallNow());
    latest.values.reserve(values.size());
    for (const auto& v : values) latest.values.emplace_back(std::string(v.name), v.value);
    options_.latest->Put(std::move(latest));
  }
  if (a.is_anomaly) {
    metrics_.Anomaly(a.severity);
    logger_.Log(obs::LogLevel::kInfo, "astraguard.detection", "anomaly_detected",
                {{"satellite", std::string_view(rec.satellite_id)},
                 {"severity", mission::SeverityName(a.severity)},
                 {"type", mission::FaultTypeName(a.type)},
                 {"confidence", std::round(a.confidence * 1000.0) / 1000.0}});
  }

  json::array contributing(sp);
  contributing.reserve(d.contributing.size());
  for (const auto& c : d.contributing) {
    contributing.push_back(
        {{"channel", c.channel}, {"value", c.value}, {"score", c.score}, {"reason", c.reason}});
  }
  json::object body(sp);
  body.reserve(24);
  body["satellite_id"] = rec.satellite_id;
  body["anomaly_score"] = a.is_anomaly ? a.anomaly_score : d.anomaly_score;
  body["confidence"] = a.is_anomaly ? a.confidence : d.confidence;
  mission::AppendAssessment(a, body);
  if (!a.is_anomaly) {
    body["reasoning"] = d.contributing.empty()
                            ? std::string("All telemetry parameters within limits")
                            : d.contributing.front().reason;
  }
  body["detector"] = detector_.mode();
  body["timestamp"] = ingest::FormatRfc3339(timestamp);
  body["contributing_channels"] = std::move(contributing);
  return body;
}

Result<json::object> TelemetryService::AssessBatch(std::string_view body) {
  auto parsed = ingest::ParseStrict(body);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) {
    return Status::Error(Code::kInvalidArgument, "body must be a JSON object",
                         {{"body", "must be a JSON object"}});
  }
  const json::object& o = parsed->as_object();
  for (const auto& kv : o) {
    if (kv.key() != "telemetry") {
      return Status::Error(Code::kValidation, fmt::format("unknown field '{}'", kv.key()),
                           {{std::string(kv.key()), "unknown field"}});
    }
  }
  const json::value* items = o.if_contains("telemetry");
  if (!items || !items->is_array()) {
    return Status::Error(Code::kValidation, "telemetry: required array of 1..1000 records",
                         {{"telemetry", "required array of 1..1000 records"}});
  }
  const json::array& arr = items->as_array();
  if (arr.empty() || arr.size() > kMaxBatchRecords) {
    return Status::Error(Code::kValidation,
                         fmt::format("telemetry: {} records; must be 1..1000", arr.size()),
                         {{"telemetry", "must hold 1..1000 records"}});
  }
  json::array results;
  results.reserve(arr.size());
  size_t accepted = 0, anomalies = 0;
  std::vector<FieldError> all_errors;  // the first kMaxListedErrors of every record's errors
  size_t errors_not_listed = 0;
  const auto keep = [&](FieldError f) {
    if (all_errors.size() < kMaxListedErrors)
      all_errors.push_back(std::move(f));
    else
      ++errors_not_listed;
  };
  for (size_t i = 0; i < arr.size(); ++i) {
    auto rec = ingest::DecodeTelemetry(arr[i], fmt::format("telemetry[{}].", i));
    if (!rec.ok()) {
      const Status& st = rec.status();
      json::array errs;
      for (const auto& f : st.fields()) {
        errs.push_back({{"field", f.field}, {"message", f.message}});
        keep(f);
      }
      if (st.fields().empty()) {
        errs.push_back({{"field", fmt::format("telemetry[{}]", i)}, {"message", st.message()}});
        keep({fmt::format("telemetry[{}]", i), st.message()});
      }
      errors_not_listed += st.fields_not_listed();
      json::object result{{"index", i}, {"ok", false}, {"errors", std::move(errs)}};
      if (st.fields_not_listed() > 0) result["errors_not_listed"] = st.fields_not_listed();
      results.push_back(std::move(result));
      continue;
    }
    json::object r = Assess(*rec);
    anomalies += r["is_anomaly"].as_bool();
    r["index"] = i;
    r["ok"] = true;
    results.push_back(std::move(r));
    ++accepted;
  }
  if (accepted == 0) {
    return Status::Error(
        Code::kValidation,
        fmt::format("all {} records are invalid; nothing was processed", arr.size()),
        std::move(all_errors), errors_not_listed);
  }
  json::object out;
  out["total_received"] = arr.size();
  out["total_processed"] = accepted;
  out["rejected"] = arr.size() - accepted;
  out["anomalies_detected"] = anomalies;
  out["results"] = std::move(results);
  return out;
}

json::object TelemetryService::GetPhase() const { return mission::PhaseJson(mission_.GetPhase()); }

Result<json::object> TelemetryService::SetPhase(std::string_view body) {
  auto r = mission::ParsePhaseRequest(body);
  if (!r.ok()) return r.status();
  auto ch = mission_.SetPhase(r->phase, r->force, r->reason.empty() ? "operator" : r->reason);
  if (!ch.ok()) return ch.status();
  return mission::PhaseChangeJson(*ch);
}

Result<json::object> TelemetryService::Satellites(std::string_view query) const {
  auto params = mission::ParseQueryString(query);
  if (!params.ok()) return params.status();
  if (!params->empty()) {
    const std::string& name = params->front().first;
    return Status::Error(Code::kValidation, std::string(name).append(": unknown query parameter"),
                         {{name, "unknown query parameter"}});
  }
  json::array sats;
  if (options_.latest != nullptr) {
    const int64_t now_ms = UnixMillis(clock_.WallNow());
    for (const auto& r : options_.latest->List(now_ms)) {
      json::array values;
      for (const auto& [name, value] : r.values) {
        values.push_back({{"channel", name}, {"value", value}});
      }
      sats.push_back({{"satellite_id", r.satellite_id},
                      {"last_record_at", ingest::FormatRfc3339Millis(r.timestamp_ms)},
                      {"received_at", ingest::FormatRfc3339Millis(r.received_ms)},
                      {"age_seconds", std::max<int64_t>(0, now_ms - r.received_ms) / 1000.0},
                      {"values", std::move(values)}});
    }
  }
  json::object o;
  o["count"] = sats.size();
  o["satellites"] = std::move(sats);
  return o;
}

Result<json::object> TelemetryService::RecoveryActions(std::string_view query) const {
  auto params = mission::ParseQueryString(query);
  if (!params.ok()) return params.status();
  auto q = mission::ParseActionsQuery(*params);
  if (!q.ok()) return q.status();
  std::optional<std::string_view> sat;
  if (q->satellite_id) sat = *q->satellite_id;
  return mission::ActionsJson(mission_.RecentActions(q->limit, sat));
}

Result<json::object> TelemetryService::History(std::string_view query) const {
  auto params = mission::ParseQueryString(query);
  if (!params.ok()) return params.status();
  auto q = mission::ParseHistoryQuery(*params);
  if (!q.ok()) return q.status();
  auto page = mission_.QueryHistory(*q);
  if (!page.ok()) return page.status();
  return mission::HistoryJson(*page);
}

Result<json::object> TelemetryService::GetAnomaly(std::string_view id) const {
  auto r = mission_.GetAnomaly(id);
  if (!r.ok()) return r.status();
  return mission::AnomalyJson(*r);
}

Result<json::object> TelemetryService::SubmitFeedback(std::string_view id, std::string_view body) {
  auto f = mission::ParseFeedbackRequest(body);
  if (!f.ok()) return f.status();
  auto r = mission_.SubmitFeedback(id, f->label, std::move(f->note));
  if (!r.ok()) return r.status();
  // Confirmed or false, an operator-marked record stays out of online training data.
  detector_.ExcludeFromTraining(r->record.satellite_id, r->record.timestamp_ms);
  return mission::FeedbackJson(*r);
}

json::object TelemetryService::GetStatus() const {
  return mission::StatusJson(mission_.GetStatus());
}

HealthReport TelemetryService::GetHealth(bool serving, bool draining) const {
  json::object components;
  components["http"] = {{"status", serving ? "healthy" : "unhealthy"}, {"draining", draining}};
  components["detector"] = detector_.Health();
  const auto store = store_.Stats();
  components["anomaly_store"] = {{"status", store.healthy ? "healthy" : "degraded"},
                                 {"backend", store.backend},
                                 {"size", store.size}};
  if (store.backend == "redis") {
    // Degraded: Redis unreachable, answering from memory (app/ adds the health checker's
    // last_error and since).
    components["redis"] = {{"status", store.healthy ? "healthy" : "degraded"}};
  }
  // Unhealthy when not serving; degraded when any component runs in a fallback mode.
  std::string status = "healthy";
  for (const auto& c : components) {
    if (c.value().at("status") == "degraded") status = "degraded";
  }
  if (!serving) status = "unhealthy";
  HealthReport report;
  report.unhealthy = !serving;
  report.body["status"] = status;
  report.body["version"] = options_.version;
  report.body["environment"] = options_.environment;
  report.body["uptime_seconds"] = std::chrono::duration<double>(clock_.Now() - started_).count();
  report.body["components"] = std::move(components);
  return report;
}

}  // namespace astraguard::service
