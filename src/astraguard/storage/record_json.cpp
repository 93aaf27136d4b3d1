#include "astraguard/storage/record_json.hpp"

#include <boost/json.hpp>

namespace astraguard::storage {
namespace json = boost::json;
namespace {

Status Corrupt(std::string_view what) {
  return Status::Error(Code::kInternal, std::string("corrupt stored value: ").append(what));
}

}  // namespace

std::string EncodeRecord(const AnomalyRecord& r) {
  json::object o;
  o["sat"] = r.satellite_id;
  o["ts"] = r.timestamp_ms;
  o["rec"] = r.recorded_ms;
  o["score"] = r.anomaly_score;
  o["sev_score"] = r.severity_score;
  o["sev_rank"] = r.severity_rank;
  o["sev"] = r.severity_level;
  o["conf"] = r.confidence;
  o["type"] = r.anomaly_type;
  o["class"] = r.classification_reason;
  o["phase"] = r.mission_phase;
  o["action"] = r.recommended_action;
  o["status"] = r.action_status;
  o["esc"] = r.escalated;
  o["recur"] = r.recurrence_count;
  o["why"] = r.reasoning;
  json::array values;
  for (const auto& [k, v] : r.values) values.push_back(json::array{json::string(k), v});
  o["values"] = std::move(values);
  json::array contributing;
  for (const auto& c : r.contributing) {
    contributing.push_back(json::array{json::string(c.channel), c.value, c.score,
                                       json::string(c.reason)});
  }
  o["contrib"] = std::move(contributing);
  return json::serialize(o);
}

Result<AnomalyRecord> DecodeRecord(std::string_view text, std::string id) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Corrupt("anomaly is not a JSON object");
  const json::object& o = v.get_object();
  AnomalyRecord r;
  r.id = std::move(id);
  try {
    r.satellite_id = json::value_to<std::string>(o.at("sat"));
    r.timestamp_ms = o.at("ts").to_number<int64_t>();
    r.recorded_ms = o.at("rec").to_number<int64_t>();
    r.anomaly_score = o.at("score").to_number<double>();
    r.severity_score = o.at("sev_score").to_number<double>();
    r.severity_rank = o.at("sev_rank").to_number<int>();
    r.severity_level = json::value_to<std::string>(o.at("sev"));
    r.confidence = o.at("conf").to_number<double>();
    r.anomaly_type = json::value_to<std::string>(o.at("type"));
    r.classification_reason = json::value_to<std::string>(o.at("class"));
    r.mission_phase = json::value_to<std::string>(o.at("phase"));
    r.recommended_action = json::value_to<std::string>(o.at("action"));
    r.action_status = json::value_to<std::string>(o.at("status"));
    r.escalated = o.at("esc").as_bool();
    r.recurrence_count = o.at("recur").to_number<int>();
    r.reasoning = json::value_to<std::string>(o.at("why"));
    for (const auto& e : o.at("values").as_array()) {
      const auto& a = e.as_array();
      r.values.emplace_back(json::value_to<std::string>(a.at(0)), a.at(1).to_number<double>());
    }
    for (const auto& e : o.at("contrib").as_array()) {
      const auto& a = e.as_array();
      r.contributing.push_back({json::value_to<std::string>(a.at(0)),
                                a.at(1).to_number<double>(), a.at(2).to_number<double>(),
                                json::value_to<std::string>(a.at(3))});
    }
  } catch (const std::exception& e) {  // boost::json throws on a missing key or a wrong type
    return Corrupt(e.what());
  }
  return r;
}

std::string EncodeFeedback(const Feedback& f) {
  return json::serialize(json::object{
      {"label", FeedbackLabelName(f.label)}, {"note", f.note}, {"at", f.at_ms}});
}

Result<Feedback> DecodeFeedback(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Corrupt("feedback is not a JSON object");
  const json::object& o = v.get_object();
  Feedback f;
  try {
    auto label = ParseFeedbackLabel(json::value_to<std::string>(o.at("label")));
    if (!label) return Corrupt("unknown feedback label");
    f.label = *label;
    f.note = json::value_to<std::string>(o.at("note"));
    f.at_ms = o.at("at").to_number<int64_t>();
  } catch (const std::exception& e) {
    return Corrupt(e.what());
  }
  return f;
}

}  // namespace astraguard::storage
