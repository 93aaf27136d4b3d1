#pragma once
// JSON mapping (Boost.JSON) between HTTP requests/responses and mission::Service, so the HTTP
// routes stay thin: parse -> call the service -> serialise. Parse errors come back as Status
// with FieldError entries naming the offending field ("phase", "limit", "label", ...):
// kInvalidArgument for malformed syntax, kValidation for well-formed but invalid values.
//
// Pure functions; thread-safe.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/mission/service.hpp"

namespace astraguard::mission {

// ---- requests ----
struct PhaseRequest {
  Phase phase = Phase::kNominalOps;
  bool force = false;
  std::string reason;  // optional operator note (<= 500 chars)
};
// Body: {"phase": "SAFE_MODE", "force": false, "reason": "..."}.
Result<PhaseRequest> ParsePhaseRequest(std::string_view body);

struct FeedbackRequest {
  storage::FeedbackLabel label = storage::FeedbackLabel::kConfirmed;
  std::string note;  // optional (<= 1000 chars)
};
// Body: {"label": "false_positive"|"confirmed", "note": "..."}.
Result<FeedbackRequest> ParseFeedbackRequest(std::string_view body);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Splits and percent-decodes a URL query string ("a=1&b=x%20y"; '+' is a space).
Result<QueryParams> ParseQueryString(std::string_view query);
// History query params: satellite_id, from, to (RFC 3339 or Unix ms), severity_min (LOW..CRITICAL
// or a score 0..1), type (fault type), limit (1..1000, default 100), cursor. Unknown parameters
// are rejected.
Result<storage::AnomalyQuery> ParseHistoryQuery(const QueryParams& params);
// Recovery-actions params: limit (1..1000, default 100), satellite_id.
struct ActionsQuery {
  size_t limit = 100;
  std::optional<std::string> satellite_id;
};
Result<ActionsQuery> ParseActionsQuery(const QueryParams& params);

// RFC 3339 ("2026-01-01T00:00:00Z", fractional seconds and +hh:mm offsets allowed) -> Unix ms.
std::optional<int64_t> ParseRfc3339Ms(std::string_view s);
std::string FormatRfc3339Ms(int64_t unix_ms);  // "2026-01-01T00:00:00.000Z"

// ---- responses ----
// Fields merged into the telemetry response: is_anomaly, anomaly_id, anomaly_type,
// severity_score, severity_level, mission_phase, recommended_action, action_status,
// escalated, recurrence_count, classification, reasoning. Not-anomalous records get
// anomaly_type "normal", severity LOW/0, recommended_action "NO_ACTION".
void AppendAssessment(const Assessment& a, boost::json::object& out);
boost::json::object PhaseJson(const PhaseView& v);
boost::json::object PhaseChangeJson(const PhaseChangeResult& r);
boost::json::object ActionsJson(const std::vector<ActionRecord>& actions);
// One entry of ActionsJson, and back (nullopt when `text` is not such an entry).
boost::json::object ActionJson(const ActionRecord& a);
std::optional<ActionRecord> ParseActionJson(std::string_view text);
boost::json::object AnomalyJson(const storage::AnomalyRecord& r);
boost::json::object HistoryJson(const storage::AnomalyPage& page);
boost::json::object FeedbackJson(const FeedbackResult& r);
boost::json::object StatusJson(const StatusView& v);

}  // namespace astraguard::mission
