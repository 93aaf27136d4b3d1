#include "astraguard/mission/json.hpp"
#include "astraguard/ingest/timestamp.hpp"


#include <charconv>
#include <cmath>

namespace astraguard::mission {
namespace json = boost::json;
namespace {

Status Invalid(std::string field, std::string msg) {
  std::string m = field + ": " + msg;
  return Status::Error(Code::kInvalidArgument, std::move(m), {{std::move(field), std::move(msg)}});
}
Status Bad(std::string field, std::string msg) {
  std::string m = field + ": " + msg;
  return Status::Error(Code::kValidation, std::move(m), {{std::move(field), std::move(msg)}});
}

Result<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return Invalid("body", "malformed JSON: " + ec.message());
  if (!v.is_object()) return Invalid("body", "must be a JSON object");
  return std::move(v.as_object());
}

Status RejectUnknown(const json::object& o, std::initializer_list<std::string_view> known) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto k : known) ok |= kv.key() == k;
    if (!ok) return Bad(std::string(kv.key()), "unknown field");
  }
  return Status::Ok();
}

Result<std::string> OptionalString(const json::object& o, std::string_view key, size_t max) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return Bad(std::string(key), "must be a string");
  if (v->as_string().size() > max) {
    return Bad(std::string(key), "must be at most " + std::to_string(max) + " characters");
  }
  return std::string(v->as_string());
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseNum(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

// ---- requests ----

Result<PhaseRequest> ParsePhaseRequest(std::string_view body) {
  auto o = ParseObject(body);
  if (!o.ok()) return o.status();
  if (Status s = RejectUnknown(*o, {"phase", "force", "reason"}); !s.ok()) return s;
  PhaseRequest r;
  const json::value* p = o->if_contains("phase");
  if (!p) return Bad("phase", "required");
  if (!p->is_string()) return Bad("phase", "must be a string");
  auto ph = ParsePhase(p->as_string());
  if (!ph) {
    return Bad("phase", "must be one of LAUNCH, DEPLOYMENT, NOMINAL_OPS, PAYLOAD_OPS, SAFE_MODE");
  }
  r.phase = *ph;
  if (const json::value* f = o->if_contains("force"); f && !f->is_null()) {
    if (!f->is_bool()) return Bad("force", "must be true or false");
    r.force = f->as_bool();
  }
  auto reason = OptionalString(*o, "reason", 500);
  if (!reason.ok()) return reason.status();
  r.reason = std::move(*reason);
  return r;
}

Result<FeedbackRequest> ParseFeedbackRequest(std::string_view body) {
  auto o = ParseObject(body);
  if (!o.ok()) return o.status();
  if (Status s = RejectUnknown(*o, {"label", "note"}); !s.ok()) return s;
  FeedbackRequest r;
  const json::value* l = o->if_contains("label");
  if (!l) return Bad("label", "required");
  if (!l->is_string()) return Bad("label", "must be a string");
  auto label = storage::ParseFeedbackLabel(l->as_string());
  if (!label) return Bad("label", "must be \"false_positive\" or \"confirmed\"");
  r.label = *label;
  auto note = OptionalString(*o, "note", 1000);
  if (!note.ok()) return note.status();
  r.note = std::move(*note);
  return r;
}

Result<QueryParams> ParseQueryString(std::string_view q) {
  QueryParams out;
  if (!q.empty() && q.front() == '?') q.remove_prefix(1);
  auto decode = [](std::string_view s) -> std::optional<std::string> {
    std::string d;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        d += ' ';
      } else if (s[i] == '%') {
        if (i + 2 >= s.size()) return std::nullopt;
        int h = HexVal(s[i + 1]), l = HexVal(s[i + 2]);
        if (h < 0 || l < 0) return std::nullopt;
        d += static_cast<char>(h * 16 + l);
        i += 2;
      } else {
        d += s[i];
      }
    }
    return d;
  };
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto k = decode(part.substr(0, eq));
    auto v = decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!k || !v) return Invalid("query", "malformed percent-encoding");
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

Result<storage::AnomalyQuery> ParseHistoryQuery(const QueryParams& params) {
  storage::AnomalyQuery q;
  for (const auto& [k, v] : params) {
    if (k == "satellite_id") {
      if (v.empty() || v.size() > 128) return Bad(k, "must be 1..128 characters");
      q.satellite_id = v;
    } else if (k == "from" || k == "to") {
      std::optional<int64_t> ms = ParseRfc3339Ms(v);
      if (!ms) ms = ParseInt(v);
      if (!ms) return Bad(k, "must be an RFC 3339 timestamp or Unix milliseconds");
      (k == "from" ? q.from_ms : q.to_ms) = *ms;
    } else if (k == "severity_min") {
      if (auto s = ParseSeverity(v)) {
        q.severity_rank_min = static_cast<int>(*s);
      } else if (auto n = ParseNum(v); n && *n >= 0 && *n <= 1) {
        q.severity_score_min = *n;
      } else {
        return Bad(k, "must be LOW, MEDIUM, HIGH, CRITICAL or a score between 0 and 1");
      }
    } else if (k == "type") {
      if (!ParseFaultType(v)) {
        return Bad(k,
                   "must be one of power_fault, thermal_fault, attitude_fault, wheel_fault, "
                   "sensor_fault, unknown");
      }
      q.anomaly_type = v;
    } else if (k == "limit") {
      auto n = ParseInt(v);
      if (!n || *n < 1 || *n > storage::kMaxQueryLimit) return Bad(k, "must be an integer 1..1000");
      q.limit = static_cast<int>(*n);
    } else if (k == "cursor") {
      if (v.empty() || v.size() > 256) return Bad(k, "malformed cursor");
      q.cursor = v;
    } else {
      return Bad(k, "unknown query parameter");
    }
  }
  if (Status s = storage::ValidateQuery(q); !s.ok()) return s;
  return q;
}

Result<ActionsQuery> ParseActionsQuery(const QueryParams& params) {
  ActionsQuery q;
  for (const auto& [k, v] : params) {
    if (k == "limit") {
      auto n = ParseInt(v);
      if (!n || *n < 1 || *n > 1000) return Bad(k, "must be an integer 1..1000");
      q.limit = static_cast<size_t>(*n);
    } else if (k == "satellite_id") {
      if (v.empty() || v.size() > 128) return Bad(k, "must be 1..128 characters");
      q.satellite_id = v;
    } else {
      return Bad(k, "unknown query parameter");
    }
  }
  return q;
}

std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  auto ms = ingest::ParseRfc3339Millis(s);
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

std::string FormatRfc3339Ms(int64_t unix_ms) { return ingest::FormatRfc3339Millis(unix_ms); }

// ---- responses ----

void AppendAssessment(const Assessment& a, json::object& out) {
  out["is_anomaly"] = a.is_anomaly;
  out["mission_phase"] = PhaseName(a.phase);
  if (!a.is_anomaly) {
    out["anomaly_id"] = nullptr;
    out["anomaly_type"] = "normal";
    out["severity_score"] = 0.0;
    out["severity_level"] = "LOW";
    out["recommended_action"] = "NO_ACTION";
    out["action_status"] = nullptr;
    out["escalated"] = false;
    out["recurrence_count"] = 0;
    return;
  }
  if (a.anomaly_id.empty()) {
    out["anomaly_id"] = nullptr;
  } else {
    out["anomaly_id"] = a.anomaly_id;
  }
  out["anomaly_type"] = FaultTypeName(a.type);
  out["severity_score"] = a.severity_score;
  out["severity_level"] = SeverityName(a.severity);
  out["recommended_action"] = ActionName(a.action);
  out["action_status"] = ActionStatusName(a.action_status);
  out["escalated"] = a.escalated;
  out["recurrence_count"] = a.recurrence;
  out["classification"] = a.classification_reason;
  out["reasoning"] = a.reasoning;
  if (a.phase_changed) out["phase_changed_to"] = "SAFE_MODE";
}

boost::json::object PhaseJson(const PhaseView& v) {
  json::object o;
  o["phase"] = PhaseName(v.phase);
  o["description"] = v.policy->description;
  json::array targets;
  for (Phase p : AllowedTargets(v.phase)) targets.emplace_back(PhaseName(p));
  o["allowed_transitions"] = std::move(targets);
  json::object pol;
  pol["threshold_multiplier"] = v.policy->threshold_multiplier;
  pol["act_min_severity"] = SeverityName(v.policy->act_min_severity);
  pol["low_action"] = ActionName(v.policy->low_action);
  json::array allowed;
  for (Action a : v.policy->allowed_actions) allowed.emplace_back(ActionName(a));
  pol["allowed_actions"] = std::move(allowed);
  json::array rules;
  for (const auto& r : v.policy->escalation_rules) rules.emplace_back(r.Describe());
  pol["escalation_rules"] = std::move(rules);
  o["policy"] = std::move(pol);
  json::array hist;
  for (const auto& h : v.history) {
    json::object e;
    e["from"] = PhaseName(h.from);
    e["to"] = PhaseName(h.to);
    e["at"] = FormatRfc3339Ms(h.at_ms);
    e["forced"] = h.forced;
    e["automatic"] = h.automatic;
    e["reason"] = h.reason;
    hist.emplace_back(std::move(e));
  }
  o["history"] = std::move(hist);
  return o;
}

boost::json::object PhaseChangeJson(const PhaseChangeResult& r) {
  json::object o;
  o["success"] = true;
  o["changed"] = r.changed;
  o["previous_phase"] = PhaseName(r.change.from);
  o["new_phase"] = PhaseName(r.change.to);
  o["forced"] = r.change.forced;
  o["message"] = r.changed ? "Transitioned from " + std::string(PhaseName(r.change.from)) + " to " +
                                 std::string(PhaseName(r.change.to))
                           : std::string("Already in target phase");
  o["timestamp"] = FormatRfc3339Ms(r.change.at_ms);
  return o;
}

boost::json::object ActionJson(const ActionRecord& a) {
  json::object e;
  e["seq"] = a.seq;
  e["at"] = FormatRfc3339Ms(a.at_ms);
  e["satellite_id"] = a.satellite_id;
  if (a.anomaly_id.empty()) {
    e["anomaly_id"] = nullptr;
  } else {
    e["anomaly_id"] = a.anomaly_id;
  }
  e["anomaly_type"] = FaultTypeName(a.type);
  e["severity_level"] = SeverityName(a.severity);
  e["mission_phase"] = PhaseName(a.phase);
  e["action"] = ActionName(a.action);
  e["status"] = ActionStatusName(a.status);
  e["escalated"] = a.escalated;
  e["recurrence_count"] = a.recurrence;
  e["detail"] = a.detail;
  return e;
}

std::optional<ActionRecord> ParseActionJson(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& e = v.as_object();
  auto str = [&e](std::string_view k) -> std::optional<std::string_view> {
    const json::value* f = e.if_contains(k);
    if (f == nullptr || !f->is_string()) return std::nullopt;
    return std::string_view(f->as_string());
  };
  auto integer = [&e](std::string_view k) -> std::optional<int64_t> {
    const json::value* f = e.if_contains(k);
    if (f == nullptr) return std::nullopt;
    if (f->is_int64()) return f->as_int64();
    if (f->is_uint64()) return static_cast<int64_t>(f->as_uint64());
    return std::nullopt;
  };
  ActionRecord a;
  const auto seq = integer("seq");
  const auto at = str("at");
  const auto at_ms = at ? ParseRfc3339Ms(*at) : std::nullopt;
  const auto sat = str("satellite_id");
  const auto type = str("anomaly_type");
  const auto severity = str("severity_level");
  const auto phase = str("mission_phase");
  const auto action = str("action");
  const auto status = str("status");
  const auto recurrence = integer("recurrence_count");
  const auto detail = str("detail");
  const json::value* escalated = e.if_contains("escalated");
  if (!seq || !at_ms || !sat || !type || !severity || !phase || !action || !status ||
      !recurrence || !detail || escalated == nullptr || !escalated->is_bool()) {
    return std::nullopt;
  }
  const auto t = ParseFaultType(*type);
  const auto s = ParseSeverity(*severity);
  const auto p = ParsePhase(*phase);
  const auto act = ParseAction(*action);
  if (!t || !s || !p || !act) return std::nullopt;
  bool status_known = false;
  for (int i = 0; i < kActionStatusCount; ++i) {
    if (ActionStatusName(static_cast<ActionStatus>(i)) == *status) {
      a.status = static_cast<ActionStatus>(i);
      status_known = true;
    }
  }
  if (!status_known) return std::nullopt;
  a.seq = static_cast<uint64_t>(*seq);
  a.at_ms = *at_ms;
  a.satellite_id = std::string(*sat);
  if (auto id = str("anomaly_id")) a.anomaly_id = std::string(*id);
  a.type = *t;
  a.severity = *s;
  a.phase = *p;
  a.action = *act;
  a.escalated = escalated->as_bool();
  a.recurrence = static_cast<int>(*recurrence);
  a.detail = std::string(*detail);
  return a;
}

boost::json::object ActionsJson(const std::vector<ActionRecord>& actions) {
  json::array arr;
  for (const auto& a : actions) arr.emplace_back(ActionJson(a));
  json::object o;
  o["count"] = arr.size();
  o["actions"] = std::move(arr);
  return o;
}

boost::json::object AnomalyJson(const storage::AnomalyRecord& r) {
  json::object o;
  o["anomaly_id"] = r.id;
  o["satellite_id"] = r.satellite_id;
  o["timestamp"] = FormatRfc3339Ms(r.timestamp_ms);
  o["recorded_at"] = FormatRfc3339Ms(r.recorded_ms);
  o["anomaly_score"] = r.anomaly_score;
  o["severity_score"] = r.severity_score;
  o["severity_level"] = r.severity_level;
  o["confidence"] = r.confidence;
  o["anomaly_type"] = r.anomaly_type;
  o["classification"] = r.classification_reason;
  o["mission_phase"] = r.mission_phase;
  o["recommended_action"] = r.recommended_action;
  o["action_status"] = r.action_status;
  o["escalated"] = r.escalated;
  o["recurrence_count"] = r.recurrence_count;
  o["reasoning"] = r.reasoning;
  json::object values;
  for (const auto& [k, v] : r.values) values[k] = v;
  o["values"] = std::move(values);
  json::array contrib;
  for (const auto& c : r.contributing) {
    contrib.emplace_back(json::object{
        {"channel", c.channel}, {"value", c.value}, {"score", c.score}, {"reason", c.reason}});
  }
  o["contributing_channels"] = std::move(contrib);
  if (r.feedback) {
    o["feedback"] = json::object{{"label", storage::FeedbackLabelName(r.feedback->label)},
                                 {"note", r.feedback->note},
                                 {"at", FormatRfc3339Ms(r.feedback->at_ms)}};
  } else {
    o["feedback"] = nullptr;
  }
  return o;
}

boost::json::object HistoryJson(const storage::AnomalyPage& page) {
  json::array arr;
  for (const auto& r : page.items) arr.emplace_back(AnomalyJson(r));
  json::object o;
  o["count"] = arr.size();
  o["anomalies"] = std::move(arr);
  if (page.next_cursor) {
    o["next_cursor"] = *page.next_cursor;
  } else {
    o["next_cursor"] = nullptr;
  }
  return o;
}

boost::json::object FeedbackJson(const FeedbackResult& r) {
  json::object o;
  o["anomaly"] = AnomalyJson(r.record);
  o["confirmed_total"] = r.confirmed;
  o["false_positive_total"] = r.false_positive;
  o["detection_accuracy"] = r.accuracy;
  return o;
}

boost::json::object StatusJson(const StatusView& v) {
  json::object o;
  o["status"] = v.status;
  o["problems"] = Strings(v.problems);
  o["mission_phase"] = PhaseName(v.phase);
  o["uptime_seconds"] = v.uptime_s;
  o["records_processed"] = v.records_total;
  o["anomalies_detected"] = v.anomalies_total;
  o["sensor_signature_anomalies"] = v.sensor_signatures_total;
  o["recovery_decisions"] = v.actions_total;
  o["tracked_satellites"] = v.tracked_satellites;
  o["untracked_anomalies"] = v.untracked_anomalies;
  o["feedback"] = json::object{{"confirmed", v.confirmed},
                               {"false_positive", v.false_positive},
                               {"detection_accuracy", v.accuracy}};
  o["anomaly_store"] = json::object{{"backend", v.store.backend},
                                    {"healthy", v.store.healthy},
                                    {"size", v.store.size},
                                    {"capacity", v.store.capacity},
                                    {"appended_total", v.store.appended_total},
                                    {"evicted_total", v.store.evicted_total},
                                    {"write_failures_total", v.store_failures_total}};
  o["policy"] = json::object{{"source", v.policy_source}, {"auto_safe_mode", v.auto_safe_mode}};
  return o;
}

}  // namespace astraguard::mission
