#include "astraguard/ingest/telemetry.hpp"

#include <gtest/gtest.h>

#include <string>

#include "astraguard/ingest/json.hpp"
#include "astraguard/ingest/timestamp.hpp"

namespace astraguard::ingest {
namespace {

bool HasField(const Status& s, std::string_view field) {
  for (const auto& f : s.fields()) {
    if (f.field == field) return true;
  }
  return false;
}

TEST(ParseTelemetryTest, AcceptsTheGuideExample) {
  auto r = ParseTelemetry(
      R"({"voltage":12.5,"temperature":45.0,"gyro":0.1,"current":5.0,"wheel_speed":10.5})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->voltage, 12.5);
  EXPECT_EQ(*r->wheel_speed, 10.5);
  EXPECT_EQ(r->satellite_id, "default");
  EXPECT_EQ(r->Values().size(), 5u);
}

TEST(ParseTelemetryTest, AcceptsOptionalFieldsAndChannels) {
  auto r = ParseTelemetry(R"({"voltage":28,"temperature":20,"gyro":-0.01,"current":null,
      "timestamp":"2026-11-25T15:00:00.5+02:00","satellite_id":"sat-1.a",
      "channels":{"bus_b":3.3,"panel_temp":-12}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->current.has_value());
  EXPECT_EQ(FormatRfc3339(*r->timestamp), "2026-11-25T13:00:00.500000Z");
  ASSERT_EQ(r->channels.size(), 2u);
  EXPECT_EQ(r->channels[0].first, "bus_b");
  EXPECT_EQ(r->Values().size(), 5u);
}

TEST(ParseTelemetryTest, ReportsEveryOffendingField) {
  auto r = ParseTelemetry(R"({"voltage":51,"temperature":"hot","current":-1,"colour":"red"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kValidation);
  EXPECT_TRUE(HasField(r.status(), "voltage"));
  EXPECT_TRUE(HasField(r.status(), "temperature"));
  EXPECT_TRUE(HasField(r.status(), "current"));
  EXPECT_TRUE(HasField(r.status(), "colour"));
  EXPECT_TRUE(HasField(r.status(), "gyro"));
  EXPECT_EQ(r.status().fields().size(), 5u);
}

struct BadCase {
  const char* body;
  Code code;
  const char* field;  // nullptr: no field expected
};

class BadTelemetryTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTelemetryTest, IsRejected) {
  const BadCase& c = GetParam();
  auto r = ParseTelemetry(c.body);
  ASSERT_FALSE(r.ok()) << c.body;
  EXPECT_EQ(r.status().code(), c.code) << c.body << " -> " << r.status().message();
  if (c.field != nullptr) {
    EXPECT_TRUE(HasField(r.status(), c.field)) << r.status().message();
  }
}

constexpr const char* kBase = R"("temperature":20,"gyro":0)";

INSTANTIATE_TEST_SUITE_P(
    Table, BadTelemetryTest,
    ::testing::Values(
        BadCase{"", Code::kInvalidArgument, nullptr},
        BadCase{"{", Code::kInvalidArgument, nullptr},
        BadCase{R"({"voltage":28,)", Code::kInvalidArgument, nullptr},
        BadCase{R"({"voltage":NaN,"temperature":20,"gyro":0})", Code::kInvalidArgument, nullptr},
        BadCase{R"({"voltage":Infinity,"temperature":20,"gyro":0})", Code::kInvalidArgument,
                nullptr},
        BadCase{R"({"voltage":1e309,"temperature":20,"gyro":0})", Code::kValidation, "voltage"},
        BadCase{R"({"voltage":28,"voltage":29,"temperature":20,"gyro":0})",
                Code::kInvalidArgument, "voltage"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0} x)", Code::kInvalidArgument, nullptr},
        BadCase{"{\"voltage\":28,\"temperature\":20,\"gyro\":0,\"satellite_id\":\"\xff\"}",
                Code::kInvalidArgument, nullptr},
        BadCase{R"([1,2,3])", Code::kValidation, "body"},
        BadCase{R"("voltage")", Code::kValidation, "body"},
        BadCase{R"({"voltage":"28","temperature":20,"gyro":0})", Code::kValidation, "voltage"},
        BadCase{R"({"voltage":true,"temperature":20,"gyro":0})", Code::kValidation, "voltage"},
        BadCase{R"({"voltage":null,"temperature":20,"gyro":0})", Code::kValidation, "voltage"},
        BadCase{R"({"voltage":-0.1,"temperature":20,"gyro":0})", Code::kValidation, "voltage"},
        BadCase{R"({"voltage":28,"temperature":-100.5,"gyro":0})", Code::kValidation,
                "temperature"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":[0]})", Code::kValidation, "gyro"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"wheel_speed":-5})", Code::kValidation,
                "wheel_speed"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":"yesterday"})",
                Code::kValidation, "timestamp"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":"2026-02-30T00:00:00Z"})",
                Code::kValidation, "timestamp"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"timestamp":1700000000})",
                Code::kValidation, "timestamp"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"satellite_id":"a b"})",
                Code::kValidation, "satellite_id"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"channels":{"bad name":1}})",
                Code::kValidation, "channels.bad name"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"channels":{"x":"1"}})",
                Code::kValidation, "channels.x"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"channels":{"voltage":1}})",
                Code::kValidation, "channels.voltage"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"channels":[1]})", Code::kValidation,
                "channels"},
        BadCase{R"({"voltage":28,"temperature":20,"gyro":0,"extra":1})", Code::kValidation,
                "extra"}));

TEST(ParseStrictTest, RejectsDeepNesting) {
  std::string deep(kMaxDepth + 1, '[');
  deep += std::string(kMaxDepth + 1, ']');
  EXPECT_FALSE(ParseStrict(deep).ok());
  std::string ok(kMaxDepth, '[');
  ok += std::string(kMaxDepth, ']');
  EXPECT_TRUE(ParseStrict(ok).ok());
}

TEST(ParseStrictTest, DuplicateKeysInNestedObjectsAreRejected) {
  EXPECT_FALSE(ParseStrict(R"({"a":{"b":1,"b":2}})").ok());
  EXPECT_TRUE(ParseStrict(R"({"a":{"b":1},"c":{"b":2}})").ok());
}

TEST(ParseStrictTest, TooManyChannels) {
  std::string body = R"({"voltage":28,"temperature":20,"gyro":0,"channels":{)";
  for (int i = 0; i < 65; ++i) {
    if (i) body += ',';
    body.append("\"c").append(std::to_string(i)).append("\":1");
  }
  body += "}}";
  auto r = ParseTelemetry(body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasField(r.status(), "channels"));
}

TEST(TimestampTest, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-02-29T23:59:60Z")), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1999-12-31t20:00:00.123456789-05:30")),
            "2000-01-01T01:30:00.123456Z");
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01T24:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01T00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01T00:00:00.Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01T00:00:00Z ").ok());
}

}  // namespace
}  // namespace astraguard::ingest

namespace astraguard::ingest {
namespace {

TEST(ParseStrictTest, DuplicateKeysFoundInLargeObjects) {
  std::string body = "{";
  for (int i = 0; i < 40; ++i) body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  EXPECT_TRUE(ParseStrict(body + "}").ok());
  EXPECT_FALSE(ParseStrict(body + ",\"k3\":2}").ok());
  EXPECT_FALSE(ParseStrict(body + ",\"k39\":2}").ok());
}

}  // namespace
}  // namespace astraguard::ingest

namespace astraguard::ingest {
namespace {

TEST(TimestampTest, MillisecondFormAndParse) {
  EXPECT_EQ(FormatRfc3339Millis(1767225610500), "2026-01-01T00:00:10.500Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(*ParseRfc3339Millis("2026-01-01T01:00:00+01:00"), 1767225600000);
  EXPECT_EQ(*ParseRfc3339Millis("1970-01-01T00:00:00.123999Z"), 123);
  EXPECT_FALSE(ParseRfc3339Millis("2026-02-30T00:00:00Z").ok());
}

}  // namespace
}  // namespace astraguard::ingest

namespace astraguard::ingest {
namespace {

// Regression: these values reached the detector and crashed the process (SIGSEGV) on the
// first record of a new satellite. Each is now a validation error naming its field.
struct OutOfRange {
  const char* extra;  // appended to a valid record
  const char* field;
};

class PhysicalBoundsTest : public ::testing::TestWithParam<OutOfRange> {};

TEST_P(PhysicalBoundsTest, IsAValidationErrorNamingTheField) {
  const OutOfRange& c = GetParam();
  const std::string body = std::string(R"({"voltage":28,"temperature":20,)") + c.extra + "}";
  auto r = ParseTelemetry(body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), Code::kValidation) << body;
  ASSERT_EQ(r.status().fields().size(), 1u) << r.status().message();
  EXPECT_EQ(r.status().fields()[0].field, c.field);
  EXPECT_NE(r.status().fields()[0].message.find("must be between"), std::string::npos)
      << r.status().fields()[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    Crashers, PhysicalBoundsTest,
    ::testing::Values(OutOfRange{R"("gyro":1e300)", "gyro"}, OutOfRange{R"("gyro":-1e300)", "gyro"},
                      OutOfRange{R"("gyro":1.2e40)", "gyro"}, OutOfRange{R"("gyro":100.001)", "gyro"},
                      OutOfRange{R"("gyro":-100.001)", "gyro"},
                      OutOfRange{R"("gyro":0,"current":1e41)", "current"},
                      OutOfRange{R"("gyro":0,"current":1e300)", "current"},
                      OutOfRange{R"("gyro":0,"current":1000.5)", "current"},
                      OutOfRange{R"("gyro":0,"wheel_speed":1e300)", "wheel_speed"},
                      OutOfRange{R"("gyro":0,"wheel_speed":100000.5)", "wheel_speed"},
                      OutOfRange{R"("gyro":0,"channels":{"bus_b":1e308})", "channels.bus_b"},
                      OutOfRange{R"("gyro":0,"channels":{"bus_b":-1e16})", "channels.bus_b"},
                      OutOfRange{R"("gyro":0,"channels":{"bus_b":1.7976931348623157e308})",
                                 "channels.bus_b"}));

TEST(PhysicalBoundsTest, BoundsThemselvesAreAccepted) {
  auto r = ParseTelemetry(
      R"({"voltage":28,"temperature":20,"gyro":-100,"current":1000,"wheel_speed":100000,)"
      R"("channels":{"a":1e15,"b":-1e15,"c":5e-324}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->gyro, -100);
  EXPECT_EQ(*r->wheel_speed, 100000);
  EXPECT_EQ(r->channels[0].second, 1e15);
}

TEST(ErrorListTest, ManyErrorsAreCountedAndTheFirstTwentyListed) {
  std::string body = "{";
  for (int i = 0; i < 60000; ++i) body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  body += "}";
  auto r = ParseTelemetry(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kValidation);
  ASSERT_EQ(r.status().fields().size(), kMaxListedErrors);
  EXPECT_EQ(r.status().fields()[0].field, "k0");
  EXPECT_EQ(r.status().fields()[19].field, "k19");
  // 60,000 unknown keys + voltage, temperature and gyro missing.
  EXPECT_EQ(r.status().message(), "60003 fields are invalid");
  EXPECT_EQ(r.status().fields_not_listed(), 60003 - kMaxListedErrors);
}

TEST(ErrorListTest, FewErrorsAreAllListedAsBefore) {
  auto r = ParseTelemetry(R"({"voltage":"28","temperature":151,"extra":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().size(), 4u);
  EXPECT_EQ(r.status().message(), "4 fields are invalid");
  EXPECT_EQ(r.status().fields_not_listed(), 0u);
}

}  // namespace
}  // namespace astraguard::ingest
