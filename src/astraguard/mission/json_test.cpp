#include "astraguard/mission/json.hpp"

#include <gtest/gtest.h>

namespace astraguard::mission {
namespace {

std::string Field(const Status& s) { return s.fields().empty() ? "" : s.fields()[0].field; }

TEST(PhaseRequestTest, ParsesValidBody) {
  auto r = ParsePhaseRequest(R"({"phase":"SAFE_MODE","force":true,"reason":"drill"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, Phase::kSafeMode);
  EXPECT_TRUE(r->force);
  EXPECT_EQ(r->reason, "drill");
  EXPECT_FALSE(ParsePhaseRequest(R"({"phase":"LAUNCH"})")->force);
}

TEST(PhaseRequestTest, RejectsBadInputNamingTheField) {
  auto r = ParsePhaseRequest("{not json");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Field(r.status()), "body");
  EXPECT_EQ(Field(ParsePhaseRequest("[1]").status()), "body");
  EXPECT_EQ(Field(ParsePhaseRequest("{}").status()), "phase");
  EXPECT_EQ(Field(ParsePhaseRequest(R"({"phase":"nominal_ops"})").status()), "phase");
  EXPECT_EQ(Field(ParsePhaseRequest(R"({"phase":3})").status()), "phase");
  EXPECT_EQ(Field(ParsePhaseRequest(R"({"phase":"LAUNCH","force":"yes"})").status()), "force");
  EXPECT_EQ(Field(ParsePhaseRequest(R"({"phase":"LAUNCH","forse":true})").status()), "forse");
  EXPECT_EQ(ParsePhaseRequest(R"({"phase":"LAUNCH","force":"yes"})").status().code(),
            Code::kValidation);
}

TEST(FeedbackRequestTest, ParsesAndRejects) {
  auto r = ParseFeedbackRequest(R"({"label":"false_positive","note":"sun glint"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->label, storage::FeedbackLabel::kFalsePositive);
  EXPECT_EQ(r->note, "sun glint");
  EXPECT_EQ(Field(ParseFeedbackRequest(R"({"note":"x"})").status()), "label");
  EXPECT_EQ(Field(ParseFeedbackRequest(R"({"label":"maybe"})").status()), "label");
  EXPECT_EQ(Field(ParseFeedbackRequest(R"({"label":"confirmed","note":5})").status()), "note");
  EXPECT_EQ(Field(ParseFeedbackRequest(R"({"label":"confirmed","note":")" + std::string(1001, 'x') +
                                       "\"}")
                      .status()),
            "note");
}

TEST(QueryStringTest, SplitsAndDecodes) {
  auto q = ParseQueryString("satellite_id=SAT%2D001&from=2026-01-01T00%3A00%3A00Z&x=a+b&&flag");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0].second, "SAT-001");
  EXPECT_EQ((*q)[1].second, "2026-01-01T00:00:00Z");
  EXPECT_EQ((*q)[2].second, "a b");
  EXPECT_EQ((*q)[3].first, "flag");
  EXPECT_FALSE(ParseQueryString("a=%zz").ok());
  EXPECT_FALSE(ParseQueryString("a=%2").ok());
}

TEST(HistoryQueryTest, ParsesAllFilters) {
  auto q = ParseHistoryQuery({{"satellite_id", "SAT-001"},
                              {"from", "2026-01-01T00:00:00Z"},
                              {"to", "1767225700000"},
                              {"severity_min", "HIGH"},
                              {"type", "wheel_fault"},
                              {"limit", "50"},
                              {"cursor", "c10"}});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(*q->satellite_id, "SAT-001");
  EXPECT_EQ(*q->from_ms, 1767225600000);
  EXPECT_EQ(*q->to_ms, 1767225700000);
  EXPECT_EQ(*q->severity_rank_min, 2);
  EXPECT_EQ(*q->anomaly_type, "wheel_fault");
  EXPECT_EQ(q->limit, 50);
  EXPECT_EQ(*q->cursor, "c10");
  auto s = ParseHistoryQuery({{"severity_min", "0.75"}});
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(*s->severity_score_min, 0.75);
}

TEST(HistoryQueryTest, RejectsBadParamsNamingThem) {
  EXPECT_EQ(Field(ParseHistoryQuery({{"limit", "0"}}).status()), "limit");
  EXPECT_EQ(Field(ParseHistoryQuery({{"limit", "1001"}}).status()), "limit");
  EXPECT_EQ(Field(ParseHistoryQuery({{"limit", "ten"}}).status()), "limit");
  EXPECT_EQ(Field(ParseHistoryQuery({{"from", "yesterday"}}).status()), "from");
  EXPECT_EQ(Field(ParseHistoryQuery({{"severity_min", "1.5"}}).status()), "severity_min");
  EXPECT_EQ(Field(ParseHistoryQuery({{"type", "normal"}}).status()), "type");
  EXPECT_EQ(Field(ParseHistoryQuery({{"start_time", "x"}}).status()), "start_time");
  EXPECT_EQ(Field(ParseHistoryQuery({{"from", "2000"}, {"to", "1000"}}).status()), "from");
}

TEST(Rfc3339Test, ParsesAndFormats) {
  EXPECT_EQ(ParseRfc3339Ms("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-01T00:00:10.5Z"), 1767225610500);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-01T01:00:00+01:00"), 1767225600000);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00.123456Z"), 123);
  EXPECT_FALSE(ParseRfc3339Ms("2026-01-01T00:00:00"));
  EXPECT_FALSE(ParseRfc3339Ms("2026-13-01T00:00:00Z"));
  EXPECT_EQ(FormatRfc3339Ms(1767225610500), "2026-01-01T00:00:10.500Z");
}

TEST(ResponseJsonTest, AssessmentForNormalAndAnomalousRecords) {
  boost::json::object o;
  Assessment normal;
  AppendAssessment(normal, o);
  EXPECT_EQ(o.at("anomaly_type").as_string(), "normal");
  EXPECT_EQ(o.at("recommended_action").as_string(), "NO_ACTION");
  EXPECT_TRUE(o.at("anomaly_id").is_null());
  Assessment a;
  a.is_anomaly = true;
  a.anomaly_id = "an-3";
  a.type = FaultType::kWheel;
  a.severity = Severity::kHigh;
  a.severity_score = 0.8;
  a.action = Action::kDesaturateWheels;
  a.recurrence = 2;
  boost::json::object p;
  AppendAssessment(a, p);
  EXPECT_EQ(p.at("anomaly_id").as_string(), "an-3");
  EXPECT_EQ(p.at("anomaly_type").as_string(), "wheel_fault");
  EXPECT_EQ(p.at("severity_level").as_string(), "HIGH");
  EXPECT_EQ(p.at("recommended_action").as_string(), "DESATURATE_WHEELS");
  EXPECT_EQ(p.at("action_status").as_string(), "recommended");
  EXPECT_EQ(p.at("recurrence_count").as_int64(), 2);
}

TEST(ResponseJsonTest, HistoryPageCarriesCursor) {
  storage::AnomalyPage page;
  page.items.emplace_back();
  page.items[0].id = "an-1";
  page.items[0].values = {{"voltage", 21.0}};
  page.next_cursor = "c1";
  auto o = HistoryJson(page);
  EXPECT_EQ(o.at("count").as_uint64(), 1u);
  EXPECT_EQ(o.at("next_cursor").as_string(), "c1");
  EXPECT_EQ(o.at("anomalies").as_array()[0].at("values").at("voltage").as_double(), 21.0);
  EXPECT_TRUE(o.at("anomalies").as_array()[0].at("feedback").is_null());
}

}  // namespace
}  // namespace astraguard::mission

namespace astraguard::mission {
namespace {

TEST(ActionJsonTest, RoundTripsAndRejectsWhatIsNotAnEntry) {
  ActionRecord a;
  a.seq = 42;
  a.at_ms = 1767225600123;
  a.satellite_id = "SAT-7";
  a.anomaly_id = "an-1";
  a.type = FaultType::kPower;
  a.severity = Severity::kHigh;
  a.phase = Phase::kSafeMode;
  a.action = Action::kReducePowerLoad;
  a.status = ActionStatus::kSuppressed;
  a.escalated = true;
  a.recurrence = 3;
  a.detail = "cooldown \"running\"";
  const std::string text = boost::json::serialize(ActionJson(a));
  auto back = ParseActionJson(text);
  ASSERT_TRUE(back.has_value()) << text;
  EXPECT_EQ(boost::json::serialize(ActionJson(*back)), text);
  a.anomaly_id.clear();  // null anomaly_id
  back = ParseActionJson(boost::json::serialize(ActionJson(a)));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->anomaly_id.empty());

  EXPECT_FALSE(ParseActionJson("not json").has_value());
  EXPECT_FALSE(ParseActionJson("[]").has_value());
  boost::json::object bad = ActionJson(a);
  bad["status"] = "maybe";
  EXPECT_FALSE(ParseActionJson(boost::json::serialize(bad)).has_value());
  bad = ActionJson(a);
  bad.erase("at");
  EXPECT_FALSE(ParseActionJson(boost::json::serialize(bad)).has_value());
}

}  // namespace
}  // namespace astraguard::mission
