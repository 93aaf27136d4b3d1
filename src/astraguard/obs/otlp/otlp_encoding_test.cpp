// The OTLP encodings checked by a third-party decoder: every request built here is encoded as
// protobuf and as OTLP/JSON, posted to tests/otlp-receiver (the pinned npm decoder, run with
// --echo) and what the decoder read is compared with the resource, scope and spans the test
// built. A wrong length, tag or wire type makes the decoder fail or misread; a string that is
// not valid UTF-8 fails the export; and the pinned encoder, given what was read, must write our
// protobuf bytes exactly (canonical varints, field order, nothing unread).
#include "astraguard/obs/otlp/otlp_encoding.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "astraguard/http/client/client.hpp"
#include "astraguard/obs/otlp/testing/otlp_receiver.hpp"
#include "astraguard/obs/util/json_text.hpp"

namespace astraguard::obs {
namespace {

namespace json = boost::json;

// The text the encoders must write for `s`: invalid UTF-8 replaced (each bad byte by U+FFFD).
std::string Wire(std::string_view s) { return IsValidUtf8(s) ? std::string(s) : SanitizeUtf8(s); }

// Member `key` of `o`, or null when the decoder did not read it.
const json::value* Get(const json::object& o, std::string_view key) { return o.if_contains(key); }
// A string member as read; "" when absent (an absent field reads as its default).
std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = Get(o, key);
  if (v == nullptr) return "";
  if (!v->is_string()) {
    ADD_FAILURE() << key << " is not a string: " << json::serialize(*v);
    return "";
  }
  return std::string(v->get_string());
}
const json::object& Object(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  const json::value* v = Get(o, key);
  if (v == nullptr || !v->is_object()) {
    ADD_FAILURE() << "no object " << key;
    return kEmpty;
  }
  return v->get_object();
}
const json::array& Array(const json::object& o, std::string_view key) {
  static const json::array kEmpty;
  const json::value* v = Get(o, key);
  return v != nullptr && v->is_array() ? v->get_array() : kEmpty;  // absent: no elements
}
std::int64_t Int(const json::object& o, std::string_view key) {
  const json::value* v = Get(o, key);
  return v != nullptr && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

// How strictly absent fields are checked: the protobuf encoder omits empty optional fields,
// and the decoder reports exactly the fields on the wire; the JSON encoder writes some of them
// (e.g. a status with code 0), which read the same as absent ones.
enum class Presence { kExact, kDefaultsMayBePresent };

// `where` names the holder in failure messages (building them costs nothing until one fails).
void ExpectAttributes(const json::object& holder, const AttributeList& want,
                      const std::string& where) {
  const json::array& got = Array(holder, "attributes");
  ASSERT_EQ(got.size(), want.size()) << where;
  std::size_t i = 0;
  for (const auto a : want) {
    const json::object& kv = got[i].as_object();
    auto at = [&] {
      return ::testing::Message() << where << ", attribute " << i << " (" << a.key.size()
                                  << "-byte key)";
    };
    ++i;
    EXPECT_EQ(Text(kv, "key"), Wire(a.key)) << at();
    const json::object& v = Object(kv, "value");
    ASSERT_EQ(v.size(), 1u) << at() << ": " << json::serialize(v);
    switch (a.value.index()) {
      case 0:
        ASSERT_TRUE(v.contains("stringValue")) << at() << ": " << json::serialize(v);
        EXPECT_EQ(Text(v, "stringValue"), Wire(std::get<0>(a.value))) << at();
        break;
      case 1:
        EXPECT_EQ(v.at("boolValue"), json::value(std::get<1>(a.value))) << at();
        break;
      case 2:
        ASSERT_TRUE(v.contains("intValue")) << at() << ": " << json::serialize(v);
        EXPECT_EQ(Text(v, "intValue"), std::to_string(std::get<2>(a.value))) << at();
        break;
      default:
        ASSERT_TRUE(v.contains("doubleValue")) << at() << ": " << json::serialize(v);
        EXPECT_EQ(v.at("doubleValue").to_number<double>(), std::get<3>(a.value)) << at();
    }
  }
}

void ExpectSpan(const json::object& got, const SpanData& s, Presence presence,
                const std::string& where) {
  const bool exact = presence == Presence::kExact;
  EXPECT_EQ(Text(got, "traceId"), s.trace_id.Hex()) << where;
  EXPECT_EQ(Text(got, "spanId"), s.span_id.Hex()) << where;
  if (s.parent_span_id.IsValid()) {
    EXPECT_EQ(Text(got, "parentSpanId"), s.parent_span_id.Hex()) << where;
  } else {
    EXPECT_FALSE(got.contains("parentSpanId")) << where;  // a root span has no parent id
  }
  EXPECT_EQ(Text(got, "traceState"), Wire(s.trace_state)) << where;
  if (s.trace_state.empty() && exact) {
    EXPECT_FALSE(got.contains("traceState")) << where;
  }
  EXPECT_EQ(Text(got, "name"), Wire(s.name)) << where;
  EXPECT_EQ(Int(got, "kind"), static_cast<std::int64_t>(s.kind)) << where;
  EXPECT_EQ(Text(got, "startTimeUnixNano"), std::to_string(s.start_unix_nano)) << where;
  EXPECT_EQ(Text(got, "endTimeUnixNano"), std::to_string(s.end_unix_nano)) << where;
  ExpectAttributes(got, s.attributes, where);
  const json::array& events = Array(got, "events");
  ASSERT_EQ(events.size(), s.events.size()) << where;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string event = where + ", event " + std::to_string(i);
    const json::object& e = events[i].as_object();
    EXPECT_EQ(Text(e, "timeUnixNano"), std::to_string(s.events[i].time_unix_nano)) << event;
    EXPECT_EQ(Text(e, "name"), Wire(s.events[i].name)) << event;
    ExpectAttributes(e, s.events[i].attributes, event);
  }
  if (s.status == SpanStatus::kUnset) {
    if (exact) {
      EXPECT_FALSE(got.contains("status")) << where;  // no Status field at all
    }
    if (got.contains("status")) {
      EXPECT_EQ(Int(Object(got, "status"), "code"), 0) << where;
    }
    return;
  }
  const json::object& status = Object(got, "status");
  EXPECT_EQ(Int(status, "code"), static_cast<std::int64_t>(s.status)) << where;
  EXPECT_EQ(Text(status, "message"), Wire(s.status_message)) << where;
  if (s.status_message.empty() && exact) {
    EXPECT_FALSE(status.contains("message")) << where;
  }
}

// Compares a decoded ExportTraceServiceRequest with what was encoded.
void ExpectRequest(const json::object& request, const Resource& r, const InstrumentationScope& sc,
                   const SpanBatch& spans, Presence presence) {
  const json::array& rs = Array(request, "resourceSpans");
  ASSERT_EQ(rs.size(), 1u);
  const json::object& resource_spans = rs[0].as_object();
  ASSERT_TRUE(resource_spans.contains("resource"));  // present even when empty
  ExpectAttributes(Object(resource_spans, "resource"), r.attributes, "resource");
  const json::array& ss = Array(resource_spans, "scopeSpans");
  ASSERT_EQ(ss.size(), 1u);
  const json::object& scope_spans = ss[0].as_object();
  const json::object& scope = Object(scope_spans, "scope");
  EXPECT_EQ(Text(scope, "name"), Wire(sc.name));
  EXPECT_EQ(Text(scope, "version"), Wire(sc.version));
  if (sc.version.empty()) {
    EXPECT_FALSE(scope.contains("version"));  // empty version omitted
  }
  const json::array& got = Array(scope_spans, "spans");
  ASSERT_EQ(got.size(), spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    ExpectSpan(got[i].as_object(), *spans[i], presence, "span " + std::to_string(i));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A whole request as the exporter sends it: head + appended spans (+ tail).
std::string EncodeOtlpProtobuf(const Resource& r, const InstrumentationScope& sc,
                               const SpanBatch& spans) {
  std::string text;
  for (const auto& s : spans) AppendOtlpProtobufSpan(*s, text);
  return OtlpProtobufHead(r, sc, text.size()) + text;
}
std::string EncodeOtlpJson(const Resource& r, const InstrumentationScope& sc,
                           const SpanBatch& spans) {
  std::string text;
  for (const auto& s : spans) AppendOtlpJsonSpan(*s, text);
  return OtlpJsonHead(r, sc) + std::string(OtlpJsonSpanList(text)) + std::string(kOtlpJsonTail);
}

// One receiver (the pinned decoder, answering with what it read) for the whole suite.
class OtlpEncodingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    receiver_ = std::make_unique<testing::OtlpReceiver>(std::vector<std::string>{"--echo"});
    if (receiver_->started())
      client_ = std::make_unique<http::HttpClient>("127.0.0.1",
                                                   static_cast<std::uint16_t>(receiver_->port()));
  }
  static void TearDownTestSuite() {
    client_.reset();
    receiver_.reset();
  }
  void SetUp() override {
    ASSERT_NE(client_, nullptr) << "receiver did not start; run scripts/test-deps.sh";
  }

  // What the decoder read from `body` ({"request": ..., "reencodedIdentically": ...}); an empty
  // object, with a failure recorded, when it refused it.
  static json::object Decoded(std::string_view body, std::string_view content_type) {
    auto response = client_->Send("POST", "/v1/traces", body, content_type);
    if (!response.ok()) {
      ADD_FAILURE() << response.status().message();
      return {};
    }
    if (response->status != 200) {
      ADD_FAILURE() << "the decoder refused the " << content_type << " export: " << response->body;
      return {};
    }
    return json::parse(response->body).as_object();
  }

  // Length sweeps skip JSON, which has no lengths to get wrong (and costs the decoder most).
  enum class Encodings { kProtobufAndJson, kProtobuf };

  // Encodes the request as protobuf and as JSON and checks what the decoder read from each.
  // Returns the protobuf encoding.
  static std::string Check(const Resource& r, const InstrumentationScope& sc, const SpanBatch& b,
                           Encodings encodings = Encodings::kProtobufAndJson) {
    std::string protobuf = EncodeOtlpProtobuf(r, sc, b);
    {
      SCOPED_TRACE("protobuf");
      const json::object got = Decoded(protobuf, "application/x-protobuf");
      if (!got.empty()) {
        EXPECT_EQ(got.at("reencodedIdentically"), json::value(true));
        ExpectRequest(Object(got, "request"), r, sc, b, Presence::kExact);
      }
    }
    if (encodings == Encodings::kProtobufAndJson) {
      SCOPED_TRACE("json");
      const json::object got = Decoded(EncodeOtlpJson(r, sc, b), "application/json");
      if (!got.empty())
        ExpectRequest(Object(got, "request"), r, sc, b, Presence::kDefaultsMayBePresent);
    }
    return protobuf;
  }
  // Key/value length sweeps (defined below).
  static void CheckKeyValueSizes(std::size_t k, const std::vector<std::string>& values);

  static inline std::unique_ptr<testing::OtlpReceiver> receiver_;
  static inline std::unique_ptr<http::HttpClient> client_;
};

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

// Test shorthand for filling attribute lists: literal keys are added, others set (so a
// repeated owned key replaces the earlier value, as in AttributeList).
void Put(AttributeList& l, StaticKey k, const AttributeValue& v) { l.Add(k, v); }
void Put(AttributeList& l, std::string_view k, const AttributeValue& v) { l.Set(k, v); }
struct A {
  A(std::string k, AttributeValue v) : key(std::move(k)), value(v) {}
  A(StaticKey k, AttributeValue v) : literal(k.str.data()), value(v) {}
  const char* literal = nullptr;
  std::string key;
  AttributeValue value;  // a string value must outlive the Attrs() call
};
AttributeList Attrs(std::initializer_list<A> items) {
  AttributeList l;
  for (const A& a : items) {
    if (a.literal != nullptr)
      Put(l, StaticKey(a.literal), a.value);
    else
      Put(l, a.key, a.value);
  }
  return l;
}

Resource SampleResource() {
  Resource r;
  r.attributes.Set("service.name", "astra-guard");
  return r;
}

std::unique_ptr<SpanData> PlainSpan(std::string name) {
  auto s = std::make_unique<SpanData>();
  s->name = std::move(name);
  s->kind = SpanKind::kServer;
  s->trace_id =
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")->trace_id;
  s->span_id = NewSpanId();
  s->start_unix_nano = 1'780'000'000'000'000'000ULL;
  s->end_unix_nano = s->start_unix_nano + 1500;
  return s;
}

TEST_F(OtlpEncodingTest, SampleRequestWithEveryValueTypeAndAnInvalidString) {
  ASSERT_EQ(Wire("x\xffy"), "x\xEF\xBF\xBDy");  // what the decoder must read for "bad"
  const std::string buf = Check(SampleResource(), {"astraguard", "1.2.3"}, SampleBatch());
  EXPECT_EQ(buf.find("x\xffy"), std::string::npos);
}

const std::size_t kBoundaryLengths[] = {0,   1,   3,     4,     7,     8,     9,    15,
                                        16,  17,  126,   127,   128,   129,   255,  16382,
                                        16383, 16384, 16385, 70000};

TEST_F(OtlpEncodingTest, StringLengthsAtVarintBoundaries) {
  for (std::size_t n : kBoundaryLengths) {
    SCOPED_TRACE(n);
    const std::string text(n, 'a');
    Resource r{Attrs({A{std::string(n, 'k'), text}, A{StaticKey("static"), text}})};
    SpanBatch b;
    auto s = PlainSpan(text);
    s->trace_state = text;
    s->parent_span_id = NewSpanId();
    Put(s->attributes, std::string(n, 'k'), text);
    Put(s->attributes, StaticKey("http.route"), text);
    // Scalar values behind keys of every boundary length (the KeyValue length follows the key).
    Put(s->attributes, std::string(n, 'i'), std::int64_t{-1});  // 10-byte varint
    Put(s->attributes, std::string(n, 'j'), std::int64_t{300});
    Put(s->attributes, std::string(n, 'b'), true);
    Put(s->attributes, std::string(n, 'd'), 1.5);
    s->events.push_back(SpanEvent{text, 42, Attrs({A{std::string(n, 'e'), text}})});
    s->status = SpanStatus::kError;
    s->status_message = text;
    b.push_back(std::move(s));
    Check(r, {text, text}, b);
  }
}

TEST_F(OtlpEncodingTest, SpanBodyCrossesVarintBoundaries) {
  // Sweep a value length so that the KeyValue, the AnyValue, the span body and the enclosing
  // messages each cross 128 and 16384 bytes at some step.
  for (std::size_t base : {std::size_t{0}, std::size_t{16200}}) {
    for (std::size_t n = base; n < base + 200; ++n) {
      SCOPED_TRACE(n);
      SpanBatch b;
      auto s = PlainSpan("GET /x");
      Put(s->attributes, StaticKey("url.path"), std::string(n, 'p'));
      b.push_back(std::move(s));
      Check(Resource{}, {"astraguard", ""}, b, Encodings::kProtobuf);
      if (HasFailure()) return;  // one failing size says enough
    }
  }
}

// ---- KeyValue lengths: the key and the value may be short while the KeyValue is not ----

// `n` copies of `c`, with static storage duration (StaticKey keeps the pointer).
const char* StaticText(std::size_t n, char c) {
  static std::map<std::pair<std::size_t, char>, std::string> texts;  // nodes never move
  return texts.try_emplace({n, c}, n, c).first->second.c_str();
}
// A `k`-byte owned key, distinct for each i < 94 when k > 0.
std::string OwnedKey(std::size_t k, std::size_t i) {
  std::string key(k, 'o');
  if (k > 0) key.back() = static_cast<char>('!' + i);
  return key;
}

// For each of `values`, string attributes with that value behind `k`-byte keys: in the
// resource (an owned key for every other value, a static key for the rest: the key's kind does
// not change its length), and behind an owned key in a span and in an event of its own; scalar
// values behind `k`-byte keys too. A value that is not valid UTF-8 is sanitised (longer: the
// span and the head are sized again). As few requests as the attribute lists' limits allow (at
// most 128 entries and 64 KiB of text each).
void OtlpEncodingTest::CheckKeyValueSizes(std::size_t k, const std::vector<std::string>& values) {
  std::size_t longest = 0;
  for (const auto& v : values) longest = std::max(longest, v.size());
  const std::size_t per_request =
      std::clamp<std::size_t>(AttributeList::kMaxTextBytes / (2 * (k + longest + 1)), 1, 88);
  for (std::size_t first = 0; first < values.size(); first += per_request) {
    const std::size_t last = std::min(values.size(), first + per_request);
    Resource r;
    Put(r.attributes, StaticKey(StaticText(k, 'i')), std::int64_t{-1});  // 10-byte varint
    SpanBatch b;
    auto s = PlainSpan("kv");
    Put(s->attributes, StaticKey(StaticText(k, 'i')), std::int64_t{-1});
    Put(s->attributes, StaticKey(StaticText(k, 'j')), std::int64_t{1});
    Put(s->attributes, StaticKey(StaticText(k, 'b')), true);
    Put(s->attributes, StaticKey(StaticText(k, 'd')), 0.25);
    for (std::size_t i = first; i < last; ++i) {
      const std::string& value = values[i];
      // Distinct keys when k > 0 (with k == 0 a later value replaces the earlier one).
      const std::string owned_key = OwnedKey(k, i - first);
      if (i % 2 == 0) {
        Put(r.attributes, owned_key, value);
      } else {
        Put(r.attributes, StaticKey(StaticText(k, 's')), value);
      }
      Put(s->attributes, owned_key, value);
      s->events.push_back(SpanEvent{"ev", 5, Attrs({A{owned_key, value}})});
    }
    b.push_back(std::move(s));
    Check(r, {"astraguard", "1"}, b, Encodings::kProtobuf);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_F(OtlpEncodingTest, ResourceAttributeOfShortKeyAndValueWithLongKeyValue) {
  // The reported case: key and value each under 64 bytes, KeyValue body over 127 bytes
  // (2 + 63 + 2 + 2 + 63 = 132): its length needs two bytes (0x84 0x01), not 0x84.
  const std::string key(63, 'k'), value(63, 'v');
  Resource r{Attrs({A{key, value}, A{"service.name", "astra-guard"}})};
  const std::string buf = Check(r, {"astraguard", "1"}, {});
  EXPECT_NE(buf.find(std::string("\x0a\x84\x01\x0a\x3f", 5) + key), std::string::npos);
}

TEST_F(OtlpEncodingTest, KeyValueLengthsWhenKeyAndValueTogetherCross128) {
  // Every key length and value length in 0..130 (values of 127 and 128 bytes, key + value
  // around 122 where the KeyValue body reaches 128), valid and sanitised (last byte 0xFF).
  std::vector<std::string> values;
  for (std::size_t v = 0; v <= 130; ++v) {
    values.emplace_back(v, 'v');
    if (v > 0) values.push_back(std::string(v - 1, 'v') + '\xff');
  }
  for (std::size_t k = 0; k <= 130; ++k) {
    SCOPED_TRACE(::testing::Message() << "key " << k << " bytes");
    CheckKeyValueSizes(k, values);
    if (HasFailure()) return;  // one failing size says enough
  }
}

TEST_F(OtlpEncodingTest, KeyValueLengthsWhenKeyAndValueTogetherCross16384) {
  // Key/value splits whose KeyValue body crosses 16384 bytes (two- to three-byte length),
  // including values of exactly 16383 and 16384 bytes behind short keys.
  for (std::size_t k : std::initializer_list<std::size_t>{0, 1, 63, 64, 127, 128, 129, 8000, 16250,
                                                         16256, 16370, 16383}) {
    SCOPED_TRACE(::testing::Message() << "key " << k << " bytes");
    std::vector<std::string> values;
    for (std::size_t total = std::max<std::size_t>(k, 16366); total <= 16392; ++total)
      values.emplace_back(total - k, 'v');
    CheckKeyValueSizes(k, values);
    if (HasFailure()) return;
  }
  // Scalar values (and a 1-byte string) behind keys around 16384 bytes.
  for (std::size_t k = 16360; k <= 16390; ++k) {
    SCOPED_TRACE(::testing::Message() << "key " << k << " bytes");
    CheckKeyValueSizes(k, {"v"});
    if (HasFailure()) return;
  }
}

TEST_F(OtlpEncodingTest, BatchOverTwoMebibytes) {
  SpanBatch b;
  for (int i = 0; i < 36; ++i) {  // 36 x 64 KiB > 2 MiB: the outer lengths need 4-byte varints
    auto s = PlainSpan("span " + std::to_string(i));
    Put(s->attributes, StaticKey("blob"), std::string(64 * 1024, 'x'));
    Put(s->attributes, StaticKey("n"), std::int64_t{i});
    b.push_back(std::move(s));
  }
  const std::string buf = Check(Resource{}, {"astraguard", "1"}, b);
  EXPECT_GT(buf.size(), std::size_t{2} << 20);
}

TEST_F(OtlpEncodingTest, SanitizesInvalidUtf8EverywhereWithConsistentLengths) {
  // Invalid sequences that change length when sanitised (each bad byte -> 3-byte U+FFFD),
  // around the 128-byte boundary too.
  const std::vector<std::string> bad = {"\xff", "x\xffy", "\xc0\xaf", "\xed\xa0\x80",
                                        "abc\xe2\x82", std::string(126, 'a') + "\xff",
                                        std::string(127, 'a') + "\x80\x80",
                                        std::string(16382, 'b') + "\xfe"};
  for (const std::string& t : bad) {
    SCOPED_TRACE(t.size());
    ASSERT_NE(Wire(t), t);
    Resource r{Attrs({A{t, t}, A{"ok", "fine"}})};
    SpanBatch b;
    for (int i = 0; i < 3; ++i) {  // distinct string objects with equal (invalid) contents
      auto s = PlainSpan(t);
      s->trace_state = t;
      Put(s->attributes, t, t);
      Put(s->attributes, "valid", std::string("h\xc3\xa9llo \xf0\x9f\x9a\x80"));  // kept as is
      s->events.push_back(SpanEvent{t, 7, Attrs({A{t, t}, A{"n", std::int64_t{1}}})});
      s->status = SpanStatus::kError;
      s->status_message = t;
      b.push_back(std::move(s));
    }
    Check(r, {t, t}, b);
  }
}

TEST_F(OtlpEncodingTest, SanitizesAnInvalidStringInAnySinglePosition) {
  // One invalid string in exactly one place of an otherwise valid (ASCII and multi-byte) request,
  // in the last of several spans: each place must be noticed on its own.
  const std::string bad = "caf\xc3(\xff";
  for (int where = 0; where < 13; ++where) {
    SCOPED_TRACE(where);
    // The text for position `w`: the invalid string there, the normal one elsewhere.
    auto at = [&](int w, std::string_view normal) {
      return where == w ? bad : std::string(normal);
    };
    Resource r{Attrs({A{at(0, "host.name"), at(1, "n\xc3\xa9")}, A{"k", std::int64_t{1}}})};
    InstrumentationScope sc{at(2, "astraguard"), at(3, "1")};
    SpanBatch b;
    for (int i = 0; i < 4; ++i) {
      const bool last = i == 3;  // only the last span carries the invalid string
      auto in_last = [&](int w, std::string_view normal) {
        return last ? at(w, normal) : std::string(normal);
      };
      auto s = PlainSpan(in_last(4, "GET /r"));
      s->trace_state = in_last(5, "a=1");
      Put(s->attributes, in_last(6, "key"), in_last(7, "value \xe2\x82\xac"));
      Put(s->attributes, StaticKey("n"), std::int64_t{7});
      s->events.push_back(
          SpanEvent{in_last(8, "ev"), 1, Attrs({A{in_last(9, "ek"), in_last(10, "ev")}})});
      s->status = SpanStatus::kError;
      s->status_message = in_last(11, "boom");
      if (last && where == 12) {  // not written at all (status unset): nothing to sanitise
        s->status = SpanStatus::kUnset;
        s->status_message = bad;
      }
      b.push_back(std::move(s));
    }
    Check(r, sc, b);
  }
}

TEST_F(OtlpEncodingTest, EmptyValueNextToAnInvalidKeyStaysEmpty) {
  // In an AttributeList's text an empty value shares its address with the next key; the
  // sanitised copy of that key must not be taken for the value.
  SpanBatch b;
  auto s = PlainSpan("x");
  Put(s->attributes, "a", "");
  Put(s->attributes, "\xff", "v");
  b.push_back(std::move(s));
  Check(Resource{}, {"astraguard", "1"}, b);
}

TEST_F(OtlpEncodingTest, EmptyBatchAndEmptyResource) {
  // The empty Resource is still present, the empty version omitted (ExpectRequest).
  Check(Resource{}, {"astraguard", ""}, {});
  Check(Resource{}, {"", ""}, {});
}

TEST_F(OtlpEncodingTest, EventsStatusAndTraceState) {
  // Root span (no parent id), two events (one empty), status OK without message (Status holds
  // only the code); a kUnset span has no Status and no trace state at all (ExpectSpan).
  SpanBatch b;
  auto s = PlainSpan("detect");
  s->kind = SpanKind::kInternal;
  s->trace_state = "vendor=abc,other=1";
  s->events.push_back(SpanEvent{"exception", 11, Attrs({A{"exception.type", "E"}})});
  s->events.push_back(SpanEvent{"", 12, {}});
  s->status = SpanStatus::kOk;
  b.push_back(std::move(s));
  b.push_back(PlainSpan("unset"));
  Check(Resource{}, {"astraguard", "1"}, b);
}

TEST_F(OtlpEncodingTest, ResourceAttributesOfEveryValueType) {
  Resource r{Attrs({A{"s", "astra"}, A{"empty", ""}, A{"t", true}, A{"f", false},
                    A{"zero", std::int64_t{0}}, A{"i127", std::int64_t{127}},
                    A{"i128", std::int64_t{128}}, A{"max", std::numeric_limits<std::int64_t>::max()},
                    A{"min", std::numeric_limits<std::int64_t>::min()},
                    A{"neg", std::int64_t{-1}}, A{"d", -2.25},
                    A{StaticKey("service.name"), "astra-guard"}})};
  SpanBatch b;
  b.push_back(PlainSpan("x"));
  Check(r, {"astraguard", "1"}, b);
}

TEST_F(OtlpEncodingTest, ServerSpanBatch) {
  auto b = SampleBatch();
  for (int i = 0; i < 511; ++i) {
    auto s = PlainSpan("POST /api/v1/telemetry");
    s->parent_span_id = NewSpanId();
    Put(s->attributes, StaticKey("http.request.method"), std::string("POST"));
    Put(s->attributes, StaticKey("http.route"), std::string("/api/v1/telemetry"));
    Put(s->attributes, StaticKey("server.port"), std::int64_t{8000});
    Put(s->attributes, StaticKey("http.response.status_code"), std::int64_t{200});
    b.push_back(std::move(s));
  }
  Check(SampleResource(), {"astraguard", "1.2.3"}, b);
}

// The OTLP/JSON representation rules the decoder does not insist on (it also takes numbers):
// hex ids, integer enums, 64-bit integers as decimal strings.
TEST(OtlpJsonTest, EncodesOtlpJsonMapping) {
  auto batch = SampleBatch();
  auto v = json::parse(EncodeOtlpJson(SampleResource(), {"astraguard", ""}, batch));
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
