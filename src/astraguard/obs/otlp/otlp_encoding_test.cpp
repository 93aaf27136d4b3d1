#include "astraguard/obs/otlp/otlp_encoding.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "astraguard/obs/util/json_text.hpp"

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

// KeyValue messages (field `field` of `m`) by key: key -> decoded AnyValue.
std::map<std::string, Message> KeyValues(const Message& m, std::uint32_t field) {
  std::map<std::string, Message> out;
  for (auto [it, end] = m.equal_range(field); it != end; ++it) {
    Message a = Decode(it->second.bytes);
    out[One(a, 1).bytes] = Decode(One(a, 2).bytes);
  }
  return out;
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
  auto attrs = KeyValues(span, 9);
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

// ---- Reference encoder: the previous single-pass implementation (one-byte length
// placeholder patched after the body), kept verbatim so that the two-pass encoder can be
// checked byte for byte against it. ----
namespace reference {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2 };

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void PutTag(std::string& out, std::uint32_t field, WireType wt) {
  PutVarint(out, (static_cast<std::uint64_t>(field) << 3) | wt);
}
void PutFixed64(std::string& out, std::uint32_t field, std::uint64_t v) {
  PutTag(out, field, kFixed64);
  for (int i = 0; i < 8; ++i) out += static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
}
void PutBytes(std::string& out, std::uint32_t field, std::string_view b) {
  PutTag(out, field, kLen);
  PutVarint(out, b.size());
  out.append(b);
}
void PutString(std::string& out, std::uint32_t field, std::string_view s) {
  if (IsValidUtf8(s)) {
    PutBytes(out, field, s);
  } else {
    PutBytes(out, field, SanitizeUtf8(s));
  }
}
void PutUint(std::string& out, std::uint32_t field, std::uint64_t v) {
  PutTag(out, field, kVarint);
  PutVarint(out, v);
}
template <std::size_t N>
std::string_view AsBytes(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}
std::size_t BeginMessage(std::string& out, std::uint32_t field) {
  PutTag(out, field, kLen);
  out.push_back('\0');
  return out.size();
}
void EndMessage(std::string& out, std::size_t body_start) {
  const std::size_t len = out.size() - body_start;
  if (len < 0x80) {
    out[body_start - 1] = static_cast<char>(len);
    return;
  }
  std::string v;
  PutVarint(v, len);
  out.replace(body_start - 1, 1, v);
}
void PutAnyValue(std::string& out, std::uint32_t field, const AttributeValue& v) {
  const std::size_t m = BeginMessage(out, field);
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    PutString(out, 1, *s);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    PutUint(out, 2, *b ? 1 : 0);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    PutUint(out, 3, static_cast<std::uint64_t>(*i));
  } else if (const auto* d = std::get_if<double>(&v)) {
    std::uint64_t bits;
    std::memcpy(&bits, d, sizeof bits);
    PutFixed64(out, 4, bits);
  }
  EndMessage(out, m);
}
void PutKeyValue(std::string& out, std::uint32_t field, const AttributeList::Entry& a) {
  const std::size_t m = BeginMessage(out, field);
  if (a.static_key) {
    PutBytes(out, 1, a.key);
  } else {
    PutString(out, 1, a.key);
  }
  PutAnyValue(out, 2, a.value);
  EndMessage(out, m);
}
void PutSpan(std::string& out, std::uint32_t field, const SpanData& s) {
  const std::size_t m = BeginMessage(out, field);
  PutBytes(out, 1, AsBytes(s.trace_id.bytes));
  PutBytes(out, 2, AsBytes(s.span_id.bytes));
  if (!s.trace_state.empty()) PutString(out, 3, s.trace_state);
  if (s.parent_span_id.IsValid()) PutBytes(out, 4, AsBytes(s.parent_span_id.bytes));
  PutString(out, 5, s.name);
  PutUint(out, 6, static_cast<std::uint64_t>(s.kind));
  PutFixed64(out, 7, s.start_unix_nano);
  PutFixed64(out, 8, s.end_unix_nano);
  for (const auto a : s.attributes) PutKeyValue(out, 9, a);
  for (const auto& e : s.events) {
    const std::size_t em = BeginMessage(out, 11);
    PutFixed64(out, 1, e.time_unix_nano);
    PutString(out, 2, e.name);
    for (const auto a : e.attributes) PutKeyValue(out, 3, a);
    EndMessage(out, em);
  }
  if (s.status != SpanStatus::kUnset) {
    const std::size_t sm = BeginMessage(out, 15);
    if (!s.status_message.empty()) PutString(out, 2, s.status_message);
    PutUint(out, 3, static_cast<std::uint64_t>(s.status));
    EndMessage(out, sm);
  }
  EndMessage(out, m);
}
std::string Encode(const Resource& resource, const InstrumentationScope& scope,
                   const SpanBatch& spans) {
  std::string out;
  const std::size_t rs = BeginMessage(out, 1);
  const std::size_t res = BeginMessage(out, 1);
  for (const auto a : resource.attributes) PutKeyValue(out, 1, a);
  EndMessage(out, res);
  const std::size_t ss = BeginMessage(out, 2);
  const std::size_t sc = BeginMessage(out, 1);
  PutString(out, 1, scope.name);
  if (!scope.version.empty()) PutString(out, 2, scope.version);
  EndMessage(out, sc);
  for (const auto& s : spans) PutSpan(out, 2, *s);
  EndMessage(out, ss);
  EndMessage(out, rs);
  return out;
}

}  // namespace reference

// ---- Strict structural check of a whole ExportTraceServiceRequest ----
// Every length-delimited field is checked to lie within its enclosing message, every nested
// message is decoded recursively and must consume its body exactly, every varint must be
// canonical (minimal), every string field must be valid UTF-8 and every field has the expected
// wire type. Returns the number of spans seen.
class StrictReader {
 public:
  std::size_t spans = 0;

  void Request(std::string_view s) {
    Walk(s, "request", [&](std::uint32_t f, std::uint32_t w, std::string_view b) {
      Expect(f == 1 && w == 2, "request field");
      ResourceSpans(b);
    });
  }

 private:
  template <typename OnField>
  void Walk(std::string_view s, const char* what, OnField on_field) {
    while (!s.empty()) {
      std::uint64_t tag = 0;
      if (!Varint(s, tag)) return Fail(what, "truncated tag");
      const auto w = static_cast<std::uint32_t>(tag & 7);
      const auto f = static_cast<std::uint32_t>(tag >> 3);
      std::string_view body;
      if (w == 0) {
        std::uint64_t v;
        if (!Varint(s, v)) return Fail(what, "truncated varint");
      } else if (w == 1) {
        if (s.size() < 8) return Fail(what, "truncated fixed64");
        s.remove_prefix(8);
      } else if (w == 2) {
        std::uint64_t len;
        if (!Varint(s, len)) return Fail(what, "truncated length");
        if (len > s.size()) return Fail(what, "length past the enclosing message");
        body = s.substr(0, len);
        s.remove_prefix(len);
      } else {
        return Fail(what, "bad wire type");
      }
      on_field(f, w, body);
    }
  }
  bool Varint(std::string_view& s, std::uint64_t& v) {
    v = 0;
    int shift = 0;
    std::size_t n = 0;
    while (!s.empty() && shift < 70) {
      auto b = static_cast<std::uint8_t>(s.front());
      s.remove_prefix(1);
      ++n;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        // Canonical: no trailing zero group (except the single byte 0).
        Expect(n == 1 || b != 0, "non-canonical varint");
        return true;
      }
      shift += 7;
    }
    return false;
  }
  void Str(std::string_view b) { Expect(IsValidUtf8(b), "string field is not valid UTF-8"); }
  void ResourceSpans(std::string_view s) {
    Walk(s, "ResourceSpans", [&](std::uint32_t f, std::uint32_t w, std::string_view b) {
      Expect(w == 2, "ResourceSpans wire");
      if (f == 1) {
        Walk(b, "Resource", [&](std::uint32_t f2, std::uint32_t w2, std::string_view b2) {
          Expect(f2 == 1 && w2 == 2, "Resource field");
          KeyValue(b2);
        });
      } else {
        Expect(f == 2, "ResourceSpans field");
        ScopeSpans(b);
      }
    });
  }
  void ScopeSpans(std::string_view s) {
    Walk(s, "ScopeSpans", [&](std::uint32_t f, std::uint32_t w, std::string_view b) {
      Expect(w == 2, "ScopeSpans wire");
      if (f == 1) {
        Walk(b, "Scope", [&](std::uint32_t f2, std::uint32_t w2, std::string_view b2) {
          Expect((f2 == 1 || f2 == 2) && w2 == 2, "Scope field");
          Str(b2);
        });
      } else {
        Expect(f == 2, "ScopeSpans field");
        Span(b);
      }
    });
  }
  void Span(std::string_view s) {
    ++spans;
    Walk(s, "Span", [&](std::uint32_t f, std::uint32_t w, std::string_view b) {
      switch (f) {
        case 1: Expect(w == 2 && b.size() == 16, "trace_id"); break;
        case 2: case 4: Expect(w == 2 && b.size() == 8, "span ids"); break;
        case 3: case 5: Expect(w == 2, "span string"); Str(b); break;
        case 6: Expect(w == 0, "kind"); break;
        case 7: case 8: Expect(w == 1, "times"); break;
        case 9: Expect(w == 2, "attribute"); KeyValue(b); break;
        case 11:
          Expect(w == 2, "event");
          Walk(b, "Event", [&](std::uint32_t f2, std::uint32_t w2, std::string_view b2) {
            if (f2 == 1) Expect(w2 == 1, "event time");
            else if (f2 == 2) { Expect(w2 == 2, "event name"); Str(b2); }
            else { Expect(f2 == 3 && w2 == 2, "event attribute"); KeyValue(b2); }
          });
          break;
        case 15:
          Expect(w == 2, "status");
          Walk(b, "Status", [&](std::uint32_t f2, std::uint32_t w2, std::string_view b2) {
            if (f2 == 2) { Expect(w2 == 2, "status message"); Str(b2); }
            else Expect(f2 == 3 && w2 == 0, "status code");
          });
          break;
        default: Fail("Span", "unexpected field");
      }
    });
  }
  void KeyValue(std::string_view s) {
    Walk(s, "KeyValue", [&](std::uint32_t f, std::uint32_t w, std::string_view b) {
      Expect(w == 2, "KeyValue wire");
      if (f == 1) {
        Str(b);
      } else {
        Expect(f == 2, "KeyValue field");
        Walk(b, "AnyValue", [&](std::uint32_t f2, std::uint32_t w2, std::string_view b2) {
          if (f2 == 1) { Expect(w2 == 2, "string_value"); Str(b2); }
          else if (f2 == 2 || f2 == 3) Expect(w2 == 0, "bool/int value");
          else Expect(f2 == 4 && w2 == 1, "double value");
        });
      }
    });
  }
  void Expect(bool ok, const char* what) {
    if (!ok) Fail(what, "check failed");
  }
  void Fail(const char* what, const char* why) { ADD_FAILURE() << what << ": " << why; }
};

// Encodes with both encoders, checks byte-for-byte equality and the strict structure.
std::string EncodeChecked(const Resource& r, const InstrumentationScope& sc, const SpanBatch& b) {
  std::string got = EncodeOtlpProtobuf(r, sc, b);
  const std::string want = reference::Encode(r, sc, b);
  EXPECT_EQ(got.size(), want.size());
  if (got != want) {
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    ADD_FAILURE() << "encodings differ at byte " << i;
  }
  StrictReader reader;
  reader.Request(got);
  EXPECT_EQ(reader.spans, b.size());
  return got;
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

// Span -> its body bytes, from a single-span request.
Message OnlySpan(const std::string& buf) {
  Message rs = Decode(One(Decode(buf), 1).bytes);
  return Decode(One(Decode(One(rs, 2).bytes), 2).bytes);
}

const std::size_t kBoundaryLengths[] = {0,   1,   3,     4,     7,     8,     9,    15,
                                        16,  17,  126,   127,   128,   129,   255,  16382,
                                        16383, 16384, 16385, 70000};

TEST(OtlpProtobufTest, MatchesReferenceForStringLengthsAtVarintBoundaries) {
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
    const std::string buf = EncodeChecked(r, {text, text}, b);
    Message span = OnlySpan(buf);
    EXPECT_EQ(One(span, 5).bytes, text);
    if (n > 0) {
      EXPECT_EQ(One(span, 3).bytes, text);  // empty trace_state is omitted
      EXPECT_EQ(One(Decode(One(span, 15).bytes), 2).bytes.size(), n);
    }
  }
}

TEST(OtlpProtobufTest, MatchesReferenceWhenSpanBodyCrossesVarintBoundaries) {
  // Sweep a value length so that the KeyValue, the AnyValue, the span body and the enclosing
  // messages each cross 128 and 16384 bytes at some step.
  for (std::size_t base : {std::size_t{0}, std::size_t{16200}}) {
    for (std::size_t n = base; n < base + 200; ++n) {
      SCOPED_TRACE(n);
      SpanBatch b;
      auto s = PlainSpan("GET /x");
      Put(s->attributes, StaticKey("url.path"), std::string(n, 'p'));
      b.push_back(std::move(s));
      const std::string buf = EncodeChecked(Resource{}, {"astraguard", ""}, b);
      Message span = OnlySpan(buf);
      EXPECT_EQ(One(Decode(One(Decode(One(span, 9).bytes), 2).bytes), 1).bytes.size(), n);
    }
  }
}

// ---- KeyValue lengths: the key and the value may be short while the KeyValue is not ----

std::size_t VarintLen(std::uint64_t v) {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
// Body size of KeyValue{key, AnyValue{string_value}}, computed from the protobuf rules.
std::size_t StringKeyValueBody(std::size_t key, std::size_t value) {
  const std::size_t any_value = 1 + VarintLen(value) + value;
  return 1 + VarintLen(key) + key + 1 + VarintLen(any_value) + any_value;
}
// The length of the first field of `msg` (length-delimited) and how many bytes it takes.
std::pair<std::uint64_t, std::size_t> FirstLength(std::string_view msg) {
  ReadVarint(msg);  // tag
  const std::size_t before = msg.size();
  const std::uint64_t len = ReadVarint(msg);
  return {len, before - msg.size()};
}
// `n` copies of `c`, with static storage duration (StaticKey keeps the pointer).
const char* StaticText(std::size_t n, char c) {
  static std::map<std::pair<std::size_t, char>, std::string> texts;  // nodes never move
  return texts.try_emplace({n, c}, n, c).first->second.c_str();
}
// Decoded KeyValues of field `field` of `m`, in order: (key, AnyValue).
std::vector<std::pair<std::string, Message>> KeyValueList(const Message& m, std::uint32_t field) {
  std::vector<std::pair<std::string, Message>> out;
  for (auto [it, end] = m.equal_range(field); it != end; ++it) {
    Message a = Decode(it->second.bytes);
    out.emplace_back(One(a, 1).bytes, Decode(One(a, 2).bytes));
  }
  return out;
}

// Encodes a request whose resource, span and event each hold a string attribute of a `k`-byte
// owned key and a `v`-byte value (plus a static `k`-byte key with the same value and scalar
// values behind `k`-byte keys), checks it against the reference encoder and the strict reader,
// and checks the decoded attributes and the length of each string KeyValue. With `invalid`, the
// value's last byte is 0xFF (sanitised to 3 bytes: the span and head are sized again).
void CheckKeyValueSizes(std::size_t k, std::size_t v, bool invalid) {
  std::string value(v, 'v');
  if (invalid && v > 0) value.back() = '\xff';
  const std::string want = invalid ? SanitizeUtf8(value) : value;
  const std::string owned_key(k, 'o');
  Resource r{Attrs({A{owned_key, value}, A{StaticKey(StaticText(k, 's')), value},
                    A{StaticKey(StaticText(k, 'i')), std::int64_t{-1}}})};
  SpanBatch b;
  auto s = PlainSpan("kv");
  Put(s->attributes, owned_key, value);
  Put(s->attributes, StaticKey(StaticText(k, 's')), value);
  Put(s->attributes, StaticKey(StaticText(k, 'i')), std::int64_t{-1});  // 10-byte varint
  Put(s->attributes, StaticKey(StaticText(k, 'j')), std::int64_t{1});
  Put(s->attributes, StaticKey(StaticText(k, 'b')), true);
  Put(s->attributes, StaticKey(StaticText(k, 'd')), 0.25);
  s->events.push_back(SpanEvent{"ev", 5, Attrs({A{owned_key, value}})});
  b.push_back(std::move(s));
  const std::string buf = EncodeChecked(r, {"astraguard", "1"}, b);

  const std::uint64_t kv_body = StringKeyValueBody(k, want.size());
  auto check_string_kvs = [&](std::string_view raw_message, const char* where) {
    SCOPED_TRACE(where);
    // The first field of the message is the owned-key KeyValue.
    const auto [len, len_bytes] = FirstLength(raw_message);
    EXPECT_EQ(len, kv_body);
    EXPECT_EQ(len_bytes, VarintLen(kv_body));
  };
  Message rs = Decode(One(Decode(buf), 1).bytes);
  const std::string& resource_raw = One(rs, 1).bytes;
  check_string_kvs(resource_raw, "resource");
  auto res = KeyValueList(Decode(resource_raw), 1);
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].first, owned_key);
  EXPECT_EQ(One(res[0].second, 1).bytes, want);
  EXPECT_EQ(res[1].first, std::string(k, 's'));
  EXPECT_EQ(One(res[1].second, 1).bytes, want);
  EXPECT_EQ(res[2].first, std::string(k, 'i'));
  EXPECT_EQ(static_cast<std::int64_t>(One(res[2].second, 3).num), -1);

  Message span = OnlySpan(buf);
  auto attrs = KeyValueList(span, 9);
  ASSERT_EQ(attrs.size(), 6u);
  EXPECT_EQ(attrs[0].first, owned_key);
  EXPECT_EQ(One(attrs[0].second, 1).bytes, want);
  EXPECT_EQ(One(attrs[1].second, 1).bytes, want);
  EXPECT_EQ(static_cast<std::int64_t>(One(attrs[2].second, 3).num), -1);
  EXPECT_EQ(One(attrs[3].second, 3).num, 1u);
  EXPECT_EQ(One(attrs[4].second, 2).num, 1u);
  EXPECT_EQ(attrs[5].first, std::string(k, 'd'));
  const std::string& event_raw = One(span, 11).bytes;
  std::string_view event_attrs = event_raw;
  event_attrs.remove_prefix(9 + 2 + 2);  // time (tag + fixed64), name "ev" (tag, len, 2 bytes)
  check_string_kvs(event_attrs, "event");
  auto ev = KeyValueList(Decode(event_raw), 3);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].first, owned_key);
  EXPECT_EQ(One(ev[0].second, 1).bytes, want);
}

TEST(OtlpProtobufTest, ResourceAttributeOfShortKeyAndValueWithLongKeyValue) {
  // The reported case: key and value each under 64 bytes, KeyValue body over 127 bytes
  // (2 + 63 + 2 + 2 + 63 = 132): its length needs two bytes (0x84 0x01), not 0x84.
  const std::string key(63, 'k'), value(63, 'v');
  Resource r{Attrs({A{key, value}, A{"service.name", "astra-guard"}})};
  const std::string buf = EncodeChecked(r, {"astraguard", "1"}, {});
  const std::string resource = One(Decode(One(Decode(buf), 1).bytes), 1).bytes;
  ASSERT_GE(resource.size(), 3u);
  EXPECT_EQ(resource.substr(0, 3), std::string("\x0a\x84\x01", 3));
  auto attrs = KeyValues(Decode(resource), 1);
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(One(attrs[key], 1).bytes, value);
  EXPECT_EQ(One(attrs["service.name"], 1).bytes, "astra-guard");
}

TEST(OtlpProtobufTest, KeyValueLengthsWhenKeyAndValueTogetherCross128) {
  // Every key length and value length in 0..130 (values of 127 and 128 bytes, key + value
  // around 122 where the KeyValue body reaches 128), valid and sanitised.
  for (std::size_t k = 0; k <= 130; ++k) {
    for (std::size_t v = 0; v <= 130; ++v) {
      SCOPED_TRACE(::testing::Message() << "key " << k << " bytes, value " << v << " bytes");
      CheckKeyValueSizes(k, v, false);
      if (v > 0) CheckKeyValueSizes(k, v, true);
      if (::testing::Test::HasFailure()) return;  // one failing size says enough
    }
  }
}

TEST(OtlpProtobufTest, KeyValueLengthsWhenKeyAndValueTogetherCross16384) {
  // Key/value splits whose KeyValue body crosses 16384 bytes (two- to three-byte length),
  // including values of exactly 16383 and 16384 bytes behind short keys.
  for (std::size_t k : std::initializer_list<std::size_t>{0, 1, 63, 64, 127, 128, 129, 8000, 16250,
                                                         16256, 16370, 16383}) {
    for (std::size_t total = 16366; total <= 16392; ++total) {
      if (total < k) continue;
      SCOPED_TRACE(::testing::Message() << "key " << k << " bytes, value " << total - k);
      CheckKeyValueSizes(k, total - k, false);
      if (::testing::Test::HasFailure()) return;
    }
  }
  // Scalar values behind keys around 16384 bytes.
  for (std::size_t k = 16360; k <= 16390; ++k) {
    SCOPED_TRACE(::testing::Message() << "key " << k << " bytes");
    CheckKeyValueSizes(k, 1, false);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(OtlpProtobufTest, MatchesReferenceForBatchOverTwoMebibytes) {
  SpanBatch b;
  for (int i = 0; i < 36; ++i) {  // 36 x 64 KiB > 2 MiB: the outer lengths need 4-byte varints
    auto s = PlainSpan("span " + std::to_string(i));
    Put(s->attributes, StaticKey("blob"), std::string(64 * 1024, 'x'));
    Put(s->attributes, StaticKey("n"), std::int64_t{i});
    b.push_back(std::move(s));
  }
  const std::string buf = EncodeChecked(Resource{}, {"astraguard", "1"}, b);
  ASSERT_GT(buf.size(), std::size_t{2} << 20);
  std::string_view v = buf;
  v.remove_prefix(1);  // tag
  const std::size_t before = v.size();
  EXPECT_EQ(ReadVarint(v), buf.size() - 5);
  EXPECT_EQ(before - v.size(), 4u);  // 2^21 <= length < 2^28
}

TEST(OtlpProtobufTest, SanitizesInvalidUtf8EverywhereWithConsistentLengths) {
  // Invalid sequences that change length when sanitised (each bad byte -> 3-byte U+FFFD),
  // around the 128-byte boundary too.
  const std::vector<std::string> bad = {"\xff", "x\xffy", "\xc0\xaf", "\xed\xa0\x80",
                                        "abc\xe2\x82", std::string(126, 'a') + "\xff",
                                        std::string(127, 'a') + "\x80\x80",
                                        std::string(16382, 'b') + "\xfe"};
  for (const std::string& t : bad) {
    SCOPED_TRACE(t.size());
    const std::string fixed = SanitizeUtf8(t);
    ASSERT_NE(fixed, t);
    Resource r{Attrs({A{t, t}, A{"ok", "fine"}})};
    SpanBatch b;
    for (int i = 0; i < 3; ++i) {  // distinct string objects with equal (invalid) contents
      auto s = PlainSpan(t);
      s->trace_state = t;
      Put(s->attributes, t, t);
      Put(s->attributes, "valid", std::string("h\xc3\xa9llo \xf0\x9f\x9a\x80"));
      s->events.push_back(SpanEvent{t, 7, Attrs({A{t, t}, A{"n", std::int64_t{1}}})});
      s->status = SpanStatus::kError;
      s->status_message = t;
      b.push_back(std::move(s));
    }
    const std::string buf = EncodeChecked(r, {t, t}, b);
    Message span = OnlySpan(buf);
    EXPECT_EQ(One(span, 5).bytes, fixed);
    EXPECT_EQ(One(span, 3).bytes, fixed);
    auto attrs = KeyValues(span, 9);
    ASSERT_EQ(attrs.count(fixed), 1u);
    EXPECT_EQ(One(attrs[fixed], 1).bytes, fixed);
    EXPECT_EQ(One(attrs["valid"], 1).bytes, "h\xc3\xa9llo \xf0\x9f\x9a\x80");  // kept as is
    Message event = Decode(One(span, 11).bytes);
    EXPECT_EQ(One(event, 2).bytes, fixed);
    EXPECT_EQ(One(Decode(One(event, 3).bytes), 1).bytes, fixed);
    EXPECT_EQ(One(Decode(One(span, 15).bytes), 2).bytes, fixed);
  }
}

TEST(OtlpProtobufTest, SanitizesAnInvalidStringInAnySinglePosition) {
  // One invalid string in exactly one place of an otherwise valid (ASCII and multi-byte) request,
  // in the last of several spans: each place must be noticed on its own.
  const std::string bad = "caf\xc3(\xff";
  const std::string fixed = SanitizeUtf8(bad);
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
    const std::string buf = EncodeChecked(r, sc, b);
    EXPECT_EQ(buf.find(bad), std::string::npos);
    if (where != 12) {
      EXPECT_NE(buf.find(fixed), std::string::npos);
    }
  }
}

TEST(OtlpProtobufTest, EmptyValueNextToAnInvalidKeyStaysEmpty) {
  // In an AttributeList's text an empty value shares its address with the next key; the
  // sanitised copy of that key must not be taken for the value.
  SpanBatch b;
  auto s = PlainSpan("x");
  Put(s->attributes, "a", "");
  Put(s->attributes, "\xff", "v");
  b.push_back(std::move(s));
  Message span = OnlySpan(EncodeChecked(Resource{}, {"astraguard", "1"}, b));
  auto attrs = KeyValues(span, 9);
  EXPECT_EQ(One(attrs["a"], 1).bytes, "");
  EXPECT_EQ(One(attrs[SanitizeUtf8("\xff")], 1).bytes, "v");
}

TEST(OtlpProtobufTest, EmptyBatchAndEmptyResource) {
  SpanBatch b;
  const std::string buf = EncodeChecked(Resource{}, {"astraguard", ""}, b);
  Message rs = Decode(One(Decode(buf), 1).bytes);
  EXPECT_EQ(One(rs, 1).bytes, "");  // empty Resource still present
  Message ss = Decode(One(rs, 2).bytes);
  EXPECT_EQ(ss.count(2), 0u);
  Message scope = Decode(One(ss, 1).bytes);
  EXPECT_EQ(One(scope, 1).bytes, "astraguard");
  EXPECT_EQ(scope.count(2), 0u);  // empty version omitted
  EncodeChecked(Resource{}, {"", ""}, b);
}

TEST(OtlpProtobufTest, EventsStatusAndTraceState) {
  SpanBatch b;
  auto s = PlainSpan("detect");
  s->kind = SpanKind::kInternal;
  s->trace_state = "vendor=abc,other=1";
  s->events.push_back(SpanEvent{"exception", 11, Attrs({A{"exception.type", "E"}})});
  s->events.push_back(SpanEvent{"", 12, {}});
  s->status = SpanStatus::kOk;  // no message: Status holds only the code
  b.push_back(std::move(s));
  auto u = PlainSpan("unset");  // kUnset: no Status field at all
  b.push_back(std::move(u));
  const std::string buf = EncodeChecked(Resource{}, {"astraguard", "1"}, b);
  Message ss = Decode(One(Decode(One(Decode(buf), 1).bytes), 2).bytes);
  ASSERT_EQ(ss.count(2), 2u);
  auto it = ss.equal_range(2).first;
  Message span = Decode(it->second.bytes);
  Message unset = Decode(std::next(it)->second.bytes);
  EXPECT_EQ(One(span, 3).bytes, "vendor=abc,other=1");
  EXPECT_EQ(One(span, 6).num, 1u);
  EXPECT_EQ(span.count(4), 0u);  // root span: no parent id
  ASSERT_EQ(span.count(11), 2u);
  Message e1 = Decode(span.equal_range(11).first->second.bytes);
  EXPECT_EQ(One(e1, 1).num, 11u);
  EXPECT_EQ(One(e1, 2).bytes, "exception");
  EXPECT_EQ(One(Decode(One(e1, 3).bytes), 1).bytes, "exception.type");
  Message status = Decode(One(span, 15).bytes);
  EXPECT_EQ(status.count(2), 0u);
  EXPECT_EQ(One(status, 3).num, 1u);
  EXPECT_EQ(unset.count(15), 0u);
  EXPECT_EQ(unset.count(3), 0u);
}

TEST(OtlpProtobufTest, ResourceAttributesOfEveryValueType) {
  Resource r{Attrs({A{"s", "astra"}, A{"empty", ""}, A{"t", true}, A{"f", false},
                    A{"zero", std::int64_t{0}}, A{"i127", std::int64_t{127}},
                    A{"i128", std::int64_t{128}}, A{"max", std::numeric_limits<std::int64_t>::max()},
                    A{"min", std::numeric_limits<std::int64_t>::min()},
                    A{"neg", std::int64_t{-1}}, A{"d", -2.25},
                    A{StaticKey("service.name"), "astra-guard"}})};
  SpanBatch b;
  b.push_back(PlainSpan("x"));
  const std::string buf = EncodeChecked(r, {"astraguard", "1"}, b);
  Message res = Decode(One(Decode(One(Decode(buf), 1).bytes), 1).bytes);
  auto attrs = KeyValues(res, 1);
  ASSERT_EQ(attrs.size(), 12u);
  EXPECT_EQ(One(attrs["s"], 1).bytes, "astra");
  EXPECT_EQ(One(attrs["empty"], 1).bytes, "");
  EXPECT_EQ(One(attrs["t"], 2).num, 1u);
  EXPECT_EQ(One(attrs["f"], 2).num, 0u);
  EXPECT_EQ(One(attrs["zero"], 3).num, 0u);
  EXPECT_EQ(One(attrs["i128"], 3).num, 128u);
  EXPECT_EQ(static_cast<std::int64_t>(One(attrs["max"], 3).num),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(static_cast<std::int64_t>(One(attrs["min"], 3).num),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(static_cast<std::int64_t>(One(attrs["neg"], 3).num), -1);
  double d;
  std::uint64_t bits = One(attrs["d"], 4).num;
  std::memcpy(&d, &bits, 8);
  EXPECT_EQ(d, -2.25);
  EXPECT_EQ(One(attrs["service.name"], 1).bytes, "astra-guard");
}

TEST(OtlpProtobufTest, MatchesReferenceForServerSpanBatch) {
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
  EncodeChecked(SampleResource(), {"astraguard", "1.2.3"}, b);
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
