#include "astraguard/obs/otlp_encoding.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <functional>
#include <vector>

#include "astraguard/obs/json_text.hpp"

namespace astraguard::obs {
namespace {

// ---- protobuf wire format ----
// Two passes over the batch: the first computes the exact size of every nested message (pure
// arithmetic, plus the UTF-8 check of each string), the second writes into a buffer resized once
// to the exact total through a raw cursor: no capacity checks, no length placeholders, no memmove.
// Lengths are canonical (minimal) varints. Every field number written here is < 16, so every tag
// is a single byte.
enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2 };

constexpr char Tag(std::uint32_t field, WireType wt) {
  return static_cast<char>((field << 3) | wt);
}

inline std::size_t VarintSize(std::uint64_t v) {
  if (v < 0x80) [[likely]] return 1;
  return (static_cast<std::size_t>(std::bit_width(v)) + 6) / 7;
}
// Size of a length-delimited field (tag, length, body) whose body is `body` bytes.
inline std::size_t LenFieldSize(std::size_t body) { return 1 + VarintSize(body) + body; }

inline char* PutVarint(char* p, std::uint64_t v) {
  if (v < 0x80) [[likely]] {
    *p = static_cast<char>(v);
    return p + 1;
  }
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* PutLenHeader(char* p, char tag, std::size_t len) {
  *p++ = tag;
  return PutVarint(p, len);
}
// Copies n bytes; short copies inline (two overlapping loads/stores stay within [src, src+n)).
inline char* CopyBytes(char* p, const char* src, std::size_t n) {
  if (n >= 8 && n <= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n > 16) {
    std::memcpy(p, src, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] = src[i];
  }
  return p + n;
}
inline char* PutBytes(char* p, char tag, std::string_view b) {
  p = PutLenHeader(p, tag, b.size());
  return CopyBytes(p, b.data(), b.size());
}
inline char* PutFixed64(char* p, char tag, std::uint64_t v) {
  *p++ = tag;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return p + 8;
}
inline char* PutUint(char* p, char tag, std::uint64_t v) {
  *p++ = tag;
  return PutVarint(p, v);
}
template <std::size_t N>
std::string_view AsBytes(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}
// SpanId::IsValid (not all zero), inline.
inline bool IsValidSpanId(const SpanId& id) {
  std::uint64_t v;
  static_assert(sizeof id.bytes == sizeof v);
  std::memcpy(&v, id.bytes.data(), sizeof v);
  return v != 0;
}

// True when every byte is < 0x80 (then the string is valid UTF-8). Inline word-at-a-time check
// for the common case; anything else goes through IsValidUtf8.
inline bool IsAscii(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t acc = 0;
  if (n >= 8) {
    std::uint64_t w;
    for (; n > 8; p += 8, n -= 8) {
      std::memcpy(&w, p, 8);
      acc |= w;
    }
    std::memcpy(&w, p + n - 8, 8);  // the last 8 bytes (overlapping is harmless)
    acc |= w;
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    acc = a | b;
  } else {
    for (; n > 0; ++p, --n) acc |= static_cast<std::uint8_t>(*p);
  }
  return (acc & 0x8080808080808080ULL) == 0;
}

// Sanitised replacements of the strings that are not valid UTF-8 (rare). Filled by the sizing
// pass, looked up by the writing pass by the original string's address. Valid input leaves it
// empty: no allocation and a single branch per lookup.
class Utf8Fixes {
 public:
  // Sizing pass: the text to write for `s` (records a sanitised copy when `s` is invalid).
  std::string_view Check(std::string_view s) {
    if (IsAscii(s)) [[likely]] return s;
    return CheckNonAscii(s);
  }
  // Between the passes.
  void Seal() {
    std::sort(fixes_.begin(), fixes_.end(), [](const Fix& a, const Fix& b) {
      return std::less<const char*>()(a.original, b.original);
    });
  }
  // Writing pass: the text recorded for `s` by Check.
  std::string_view Get(std::string_view s) const {
    if (fixes_.empty()) return s;
    return Find(s);
  }

 private:
  struct Fix {
    const char* original;  // data() of the checked string; distinct strings have distinct data
    std::string text;
  };
  std::string_view CheckNonAscii(std::string_view s) {
    if (IsValidUtf8(s)) return s;
    fixes_.push_back(Fix{s.data(), SanitizeUtf8(s)});
    return fixes_.back().text;
  }
  std::string_view Find(std::string_view s) const {
    auto it = std::lower_bound(
        fixes_.begin(), fixes_.end(), s.data(),
        [](const Fix& f, const char* d) { return std::less<const char*>()(f.original, d); });
    return it != fixes_.end() && it->original == s.data() ? std::string_view(it->text) : s;
  }
  std::vector<Fix> fixes_;
};

// Resolves a string through Utf8Fixes in the sizing pass (Check) or the writing pass (Get).
struct CheckStrings {
  Utf8Fixes& f;
  std::string_view operator()(std::string_view s) const { return f.Check(s); }
};
struct GetStrings {
  const Utf8Fixes& f;
  std::string_view operator()(std::string_view s) const { return f.Get(s); }
};

// KeyValue { key=1; value=2 (AnyValue) }
// AnyValue { string_value=1; bool_value=2; int_value=3; double_value=4 }
struct KeyValueParts {
  std::string_view key;
  std::string_view str;         // the string value, if any
  std::size_t value_body = 0;   // AnyValue body size
  std::size_t body = 0;         // KeyValue body size
};

template <typename Resolve>
inline KeyValueParts ResolveKeyValue(const Attribute& a, Resolve resolve) {
  KeyValueParts kv;
  // A static key is a literal from our code: valid UTF-8, no check needed.
  kv.key = a.static_key.data() != nullptr ? a.static_key : resolve(a.owned_key);
  switch (a.value.index()) {
    case 0:
      kv.str = resolve(*std::get_if<0>(&a.value));
      kv.value_body = LenFieldSize(kv.str.size());
      break;
    case 1:
      kv.value_body = 2;
      break;
    case 2:
      kv.value_body = 1 + VarintSize(static_cast<std::uint64_t>(*std::get_if<2>(&a.value)));
      break;
    case 3:
      kv.value_body = 9;
      break;
    default:  // valueless: an empty AnyValue
      break;
  }
  kv.body = LenFieldSize(kv.key.size()) + LenFieldSize(kv.value_body);
  return kv;
}

inline char* PutKeyValue(char* p, char tag, const Attribute& a, const KeyValueParts& kv) {
  p = PutLenHeader(p, tag, kv.body);
  p = PutBytes(p, Tag(1, kLen), kv.key);
  p = PutLenHeader(p, Tag(2, kLen), kv.value_body);
  switch (a.value.index()) {
    case 0:
      return PutBytes(p, Tag(1, kLen), kv.str);
    case 1:
      *p++ = Tag(2, kVarint);
      *p++ = *std::get_if<1>(&a.value) ? 1 : 0;
      return p;
    case 2:
      return PutUint(p, Tag(3, kVarint), static_cast<std::uint64_t>(*std::get_if<2>(&a.value)));
    case 3: {
      std::uint64_t bits;
      std::memcpy(&bits, std::get_if<3>(&a.value), sizeof bits);
      return PutFixed64(p, Tag(4, kFixed64), bits);
    }
    default:
      return p;
  }
}

template <typename Resolve>
std::size_t AttributesSize(const std::vector<Attribute>& attrs, Resolve resolve) {
  std::size_t n = 0;
  for (const auto& a : attrs) n += LenFieldSize(ResolveKeyValue(a, resolve).body);
  return n;
}
char* PutAttributes(char* p, char tag, const std::vector<Attribute>& attrs, GetStrings get) {
  for (const auto& a : attrs) p = PutKeyValue(p, tag, a, ResolveKeyValue(a, get));
  return p;
}

// Event { time_unix_nano=1 (fixed64); name=2; attributes=3 }
template <typename Resolve>
std::size_t EventBodySize(const SpanEvent& e, Resolve resolve) {
  return 9 + LenFieldSize(resolve(e.name).size()) + AttributesSize(e.attributes, resolve);
}

// Status { message=2; code=3 }
template <typename Resolve>
std::size_t StatusBodySize(const SpanData& s, Resolve resolve) {
  std::size_t n = 1 + VarintSize(static_cast<std::uint64_t>(s.status));
  if (!s.status_message.empty()) n += LenFieldSize(resolve(s.status_message).size());
  return n;
}

// Span { trace_id=1; span_id=2; trace_state=3; parent_span_id=4; name=5; kind=6;
//        start_time_unix_nano=7 (fixed64); end_time_unix_nano=8 (fixed64); attributes=9;
//        events=11; status=15 }
// Sizing pass only (validates the span's strings).
std::size_t SpanBodySize(const SpanData& s, CheckStrings check) {
  std::size_t n = LenFieldSize(16) + LenFieldSize(8) + 9 + 9;  // ids and timestamps
  if (!s.trace_state.empty()) n += LenFieldSize(check(s.trace_state).size());
  if (IsValidSpanId(s.parent_span_id)) n += LenFieldSize(8);
  n += LenFieldSize(check(s.name).size());
  n += 1 + VarintSize(static_cast<std::uint64_t>(s.kind));
  n += AttributesSize(s.attributes, check);
  for (const auto& e : s.events) n += LenFieldSize(EventBodySize(e, check));
  if (s.status != SpanStatus::kUnset) n += LenFieldSize(StatusBodySize(s, check));
  return n;
}

char* PutSpan(char* p, char tag, const SpanData& s, std::size_t body, GetStrings get) {
  p = PutLenHeader(p, tag, body);
  p = PutBytes(p, Tag(1, kLen), AsBytes(s.trace_id.bytes));
  p = PutBytes(p, Tag(2, kLen), AsBytes(s.span_id.bytes));
  if (!s.trace_state.empty()) p = PutBytes(p, Tag(3, kLen), get(s.trace_state));
  if (IsValidSpanId(s.parent_span_id)) p = PutBytes(p, Tag(4, kLen), AsBytes(s.parent_span_id.bytes));
  p = PutBytes(p, Tag(5, kLen), get(s.name));
  p = PutUint(p, Tag(6, kVarint), static_cast<std::uint64_t>(s.kind));
  p = PutFixed64(p, Tag(7, kFixed64), s.start_unix_nano);
  p = PutFixed64(p, Tag(8, kFixed64), s.end_unix_nano);
  p = PutAttributes(p, Tag(9, kLen), s.attributes, get);
  for (const auto& e : s.events) {
    p = PutLenHeader(p, Tag(11, kLen), EventBodySize(e, get));
    p = PutFixed64(p, Tag(1, kFixed64), e.time_unix_nano);
    p = PutBytes(p, Tag(2, kLen), get(e.name));
    p = PutAttributes(p, Tag(3, kLen), e.attributes, get);
  }
  if (s.status != SpanStatus::kUnset) {
    p = PutLenHeader(p, Tag(15, kLen), StatusBodySize(s, get));
    if (!s.status_message.empty()) p = PutBytes(p, Tag(2, kLen), get(s.status_message));
    p = PutUint(p, Tag(3, kVarint), static_cast<std::uint64_t>(s.status));
  }
  return p;
}

// ---- OTLP/JSON ----
void JsonAnyValue(std::string& out, const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    out += "{\"stringValue\":";
    AppendJsonString(out, *s);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out += "{\"boolValue\":";
    out += *b ? "true" : "false";
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out += "{\"intValue\":\"";
    AppendJsonNumber(out, *i);
    out += '"';
  } else if (const auto* d = std::get_if<double>(&v)) {
    out += "{\"doubleValue\":";
    AppendJsonNumber(out, *d);
  }
  out += '}';
}

void JsonAttributes(std::string& out, const std::vector<Attribute>& attrs) {
  out += '[';
  bool first = true;
  for (const auto& a : attrs) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    AppendJsonString(out, a.key());
    out += ",\"value\":";
    JsonAnyValue(out, a.value);
    out += '}';
  }
  out += ']';
}

void JsonU64String(std::string& out, std::uint64_t v) {
  out += '"';
  AppendJsonNumber(out, v);
  out += '"';
}

void JsonSpan(std::string& out, const SpanData& s) {
  out += "{\"traceId\":\"";
  out += s.trace_id.Hex();
  out += "\",\"spanId\":\"";
  out += s.span_id.Hex();
  out += '"';
  if (!s.trace_state.empty()) {
    out += ",\"traceState\":";
    AppendJsonString(out, s.trace_state);
  }
  if (s.parent_span_id.IsValid()) {
    out += ",\"parentSpanId\":\"";
    out += s.parent_span_id.Hex();
    out += '"';
  }
  out += ",\"name\":";
  AppendJsonString(out, s.name);
  out += ",\"kind\":";
  AppendJsonNumber(out, static_cast<std::int64_t>(s.kind));
  out += ",\"startTimeUnixNano\":";
  JsonU64String(out, s.start_unix_nano);
  out += ",\"endTimeUnixNano\":";
  JsonU64String(out, s.end_unix_nano);
  out += ",\"attributes\":";
  JsonAttributes(out, s.attributes);
  if (!s.events.empty()) {
    out += ",\"events\":[";
    bool first = true;
    for (const auto& e : s.events) {
      if (!first) out += ',';
      first = false;
      out += "{\"timeUnixNano\":";
      JsonU64String(out, e.time_unix_nano);
      out += ",\"name\":";
      AppendJsonString(out, e.name);
      out += ",\"attributes\":";
      JsonAttributes(out, e.attributes);
      out += '}';
    }
    out += ']';
  }
  out += ",\"status\":{\"code\":";
  AppendJsonNumber(out, static_cast<std::int64_t>(s.status));
  if (!s.status_message.empty()) {
    out += ",\"message\":";
    AppendJsonString(out, s.status_message);
  }
  out += "}}";
}

}  // namespace

std::string EncodeOtlpProtobuf(const Resource& resource, const InstrumentationScope& scope,
                               const SpanBatch& spans) {
  // Pass 1: sizes. ExportTraceServiceRequest { resource_spans=1 }
  //   ResourceSpans { resource=1; scope_spans=2 }, Resource { attributes=1 },
  //   ScopeSpans { scope=1; spans=2 }, InstrumentationScope { name=1; version=2 }
  Utf8Fixes fixes;
  const CheckStrings check{fixes};
  const std::size_t resource_body = AttributesSize(resource.attributes, check);
  std::size_t scope_body = LenFieldSize(check(scope.name).size());
  if (!scope.version.empty()) scope_body += LenFieldSize(check(scope.version).size());
  std::vector<std::size_t> span_bodies(spans.size());
  std::size_t scope_spans_body = LenFieldSize(scope_body);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    span_bodies[i] = SpanBodySize(*spans[i], check);
    scope_spans_body += LenFieldSize(span_bodies[i]);
  }
  const std::size_t resource_spans_body =
      LenFieldSize(resource_body) + LenFieldSize(scope_spans_body);
  fixes.Seal();

  // Pass 2: write.
  const GetStrings get{fixes};
  std::string out;
  out.resize(LenFieldSize(resource_spans_body));
  char* p = out.data();
  p = PutLenHeader(p, Tag(1, kLen), resource_spans_body);
  p = PutLenHeader(p, Tag(1, kLen), resource_body);
  p = PutAttributes(p, Tag(1, kLen), resource.attributes, get);
  p = PutLenHeader(p, Tag(2, kLen), scope_spans_body);
  p = PutLenHeader(p, Tag(1, kLen), scope_body);
  p = PutBytes(p, Tag(1, kLen), get(scope.name));
  if (!scope.version.empty()) p = PutBytes(p, Tag(2, kLen), get(scope.version));
  for (std::size_t i = 0; i < spans.size(); ++i) {
    p = PutSpan(p, Tag(2, kLen), *spans[i], span_bodies[i], get);
  }
  assert(p == out.data() + out.size());
  return out;
}

std::string EncodeOtlpJson(const Resource& resource, const InstrumentationScope& scope,
                           const SpanBatch& spans) {
  std::string out;
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":";
  JsonAttributes(out, resource.attributes);
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":";
  AppendJsonString(out, scope.name);
  if (!scope.version.empty()) {
    out += ",\"version\":";
    AppendJsonString(out, scope.version);
  }
  out += "},\"spans\":[";
  bool first = true;
  for (const auto& s : spans) {
    if (!first) out += ',';
    first = false;
    JsonSpan(out, *s);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace astraguard::obs
