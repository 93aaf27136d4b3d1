#include "astraguard/obs/otlp_encoding.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstring>
#include <map>

namespace astraguard::obs {
namespace {

// Minimal protobuf reader for the test: field number -> list of raw values.
struct Field {
  std::uint32_t wire = 0;
  std::uint64_t num = 0;  // varint / fixed
  std::string bytes;      // length-delimited
};
using Message = std::multimap<std::uint32_t, Field>;

std::uint64_t ReadVarint(std::string_view& s) {
  std::uint64_t v = 0;
  int shift = 0;
  while (!s.empty()) {
    auto b = static_cast<std::uint8_t>(s.front());
    s.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
    shift += 7;
  }
  ADD_FAILURE() << "truncated varint";
  return v;
}

Message Decode(std::string_view s) {
  Message m;
  while (!s.empty()) {
    std::uint64_t tag = ReadVarint(s);
    Field f;
    f.wire = static_cast<std::uint32_t>(tag & 7);
    auto num = static_cast<std::uint32_t>(tag >> 3);
    if (f.wire == 0) {
      f.num = ReadVarint(s);
    } else if (f.wire == 1) {
      EXPECT_GE(s.size(), 8u);
      for (int i = 0; i < 8; ++i)
        f.num |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(s[i])) << (8 * i);
      s.remove_prefix(8);
    } else if (f.wire == 2) {
      std::uint64_t len = ReadVarint(s);
      EXPECT_LE(len, s.size());
      f.bytes = std::string(s.substr(0, len));
      s.remove_prefix(len);
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire;
      return m;
    }
    m.emplace(num, std::move(f));
  }
  return m;
}

const Field& One(const Message& m, std::uint32_t n) {
  auto it = m.find(n);
  EXPECT_NE(it, m.end()) << "field " << n;
  static Field empty;
  return it == m.end() ? empty : it->second;
}

SpanBatch SampleBatch() {
  SpanBatch b;
  auto s = std::make_unique<SpanData>();
  s->name = "POST /api/v1/telemetry";
  s->kind = SpanKind::kServer;
  s->trace_id =
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")->trace_id;
  s->span_id = NewSpanId();
  s->parent_span_id =
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")->span_id;
  s->start_unix_nano = 1'780'000'000'000'000'000ULL;
  s->end_unix_nano = s->start_unix_nano + 1500;
  s->attributes.Set("http.route", "/api/v1/telemetry");
  s->attributes.Set("http.response.status_code", std::int64_t{503});
  s->attributes.Set("ratio", 0.5);
  s->attributes.Set("ok", true);
  s->attributes.Set("neg", std::int64_t{-3});
  s->attributes.Set("bad", "x\xffy");
  s->status = SpanStatus::kError;
  s->status_message = "upstream";
  b.push_back(std::move(s));
  return b;
}

Resource SampleResource() {
  Resource r;
  r.attributes.Set("service.name", "astra-guard");
  return r;
}

TEST(OtlpProtobufTest, EncodesRequestStructure) {
  auto batch = SampleBatch();
  const std::string buf = EncodeOtlpProtobuf(SampleResource(), {"astraguard", "1.2.3"}, batch);
  Message req = Decode(buf);
  Message rs = Decode(One(req, 1).bytes);
  Message res = Decode(One(rs, 1).bytes);
  Message kv = Decode(One(res, 1).bytes);
  EXPECT_EQ(One(kv, 1).bytes, "service.name");
  EXPECT_EQ(One(Decode(One(kv, 2).bytes), 1).bytes, "astra-guard");
  Message ss = Decode(One(rs, 2).bytes);
  Message scope = Decode(One(ss, 1).bytes);
  EXPECT_EQ(One(scope, 1).bytes, "astraguard");
  EXPECT_EQ(One(scope, 2).bytes, "1.2.3");
  Message span = Decode(One(ss, 2).bytes);
  const SpanData& d = *batch[0];
  EXPECT_EQ(One(span, 1).bytes,
            std::string(reinterpret_cast<const char*>(d.trace_id.bytes.data()), 16));
  EXPECT_EQ(One(span, 2).bytes.size(), 8u);
  EXPECT_EQ(One(span, 4).bytes,
            std::string(reinterpret_cast<const char*>(d.parent_span_id.bytes.data()), 8));
  EXPECT_EQ(One(span, 5).bytes, "POST /api/v1/telemetry");
  EXPECT_EQ(One(span, 6).num, 2u);
  EXPECT_EQ(One(span, 7).wire, 1u);
  EXPECT_EQ(One(span, 7).num, d.start_unix_nano);
  EXPECT_EQ(One(span, 8).num, d.end_unix_nano);
  EXPECT_EQ(span.count(9), 6u);
  std::map<std::string, Message> attrs;
  for (auto [it, end] = span.equal_range(9); it != end; ++it) {
    Message a = Decode(it->second.bytes);
    attrs[One(a, 1).bytes] = Decode(One(a, 2).bytes);
  }
  EXPECT_EQ(One(attrs["http.response.status_code"], 3).num, 503u);
  double ratio;
  std::uint64_t bits = One(attrs["ratio"], 4).num;
  std::memcpy(&ratio, &bits, 8);
  EXPECT_EQ(ratio, 0.5);
  EXPECT_EQ(One(attrs["ok"], 2).num, 1u);
  EXPECT_EQ(static_cast<std::int64_t>(One(attrs["neg"], 3).num), -3);
  EXPECT_EQ(One(attrs["bad"], 1).bytes, "x\xEF\xBF\xBDy");  // valid UTF-8 on the wire
  Message status = Decode(One(span, 15).bytes);
  EXPECT_EQ(One(status, 3).num, 2u);
  EXPECT_EQ(One(status, 2).bytes, "upstream");
}

TEST(OtlpJsonTest, EncodesOtlpJsonMapping) {
  auto batch = SampleBatch();
  auto v = boost::json::parse(EncodeOtlpJson(SampleResource(), {"astraguard", ""}, batch));
  const auto& span = v.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("traceId").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span.at("parentSpanId").as_string(), "00f067aa0ba902b7");
  EXPECT_EQ(span.at("kind").as_int64(), 2);
  EXPECT_EQ(span.at("startTimeUnixNano").as_string(), "1780000000000000000");
  EXPECT_EQ(span.at("status").at("code").as_int64(), 2);
  EXPECT_EQ(span.at("attributes").at(1).at("value").at("intValue").as_string(), "503");
  EXPECT_EQ(v.at("resourceSpans").at(0).at("resource").at("attributes").at(0).at("key").as_string(),
            "service.name");
}

}  // namespace
}  // namespace astraguard::obs
