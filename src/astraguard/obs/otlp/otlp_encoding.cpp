#include "astraguard/obs/otlp/otlp_encoding.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "astraguard/obs/util/json_text.hpp"

namespace astraguard::obs {
namespace {

// ---- protobuf wire format ----
// Two passes over a span (or the request's head). Pass 1 computes the exact size of every nested
// message (pure arithmetic on string lengths). Pass 2 writes through a raw `char*` cursor into
// the output, grown to its final size, with no capacity checks, length placeholders or
// memmoves, each length a canonical (minimal) varint. Strings are checked for UTF-8 while they
// are copied: the bytes are loaded anyway, so an all-ASCII string costs one extra OR. If a
// string turns out to be invalid UTF-8 (rare), the span is encoded again with every string
// validated up front and invalid ones replaced by SanitizeUtf8 (which changes their length,
// hence the sizes).
// Every field number written here is < 16, so every tag is a single byte.
enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2 };

constexpr char Tag(std::uint32_t field, WireType wt) {
  return static_cast<char>((field << 3) | wt);
}

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

inline std::size_t VarintSize(std::uint64_t v) {
  if (v < 0x80) [[likely]]
    return 1;
  // ceil(bit_width / 7) for bit_width 8..64, without a division.
  return (static_cast<std::size_t>(std::bit_width(v)) * 9 + 64) >> 6;
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

inline std::uint64_t Load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint32_t Load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void Store64(char* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
inline void Store32(char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

// True when every byte is < 0x80 (then the string is valid UTF-8).
inline bool IsAscii(const char* p, std::size_t n) {
  std::uint64_t acc = 0;
  for (; n >= 8; p += 8, n -= 8) acc |= Load64(p);
  for (; n > 0; ++p, --n) acc |= static_cast<std::uint8_t>(*p);
  return (acc & kHighBits) == 0;
}

// Copies n bytes to p and returns the OR of the copied words (its high bits tell whether any
// byte is >= 0x80). Loads stay within [src, src + n): short copies use overlapping words.
inline std::uint64_t CopyAndOr(char* p, const char* src, std::size_t n) {
  if (n >= 8) {
    if (n <= 16) {
      const std::uint64_t a = Load64(src), b = Load64(src + n - 8);
      Store64(p, a);
      Store64(p + n - 8, b);
      return a | b;
    }
    if (n <= 32) {
      const std::uint64_t a = Load64(src), b = Load64(src + 8);
      const std::uint64_t c = Load64(src + n - 16), d = Load64(src + n - 8);
      Store64(p, a);
      Store64(p + 8, b);
      Store64(p + n - 16, c);
      Store64(p + n - 8, d);
      return a | b | c | d;
    }
    std::memcpy(p, src, n);
    return IsAscii(src, n) ? 0 : kHighBits;
  }
  if (n >= 4) {
    const std::uint32_t a = Load32(src), b = Load32(src + n - 4);
    Store32(p, a);
    Store32(p + n - 4, b);
    return a | b;
  }
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = src[i];
    acc |= static_cast<std::uint8_t>(src[i]);
  }
  return acc;
}

// Output cursor of the writing pass. Functions that write copy it into locals (`char* p`,
// `high`) and store it back when done: a cursor kept in memory would have to be reloaded
// after every byte store (char stores may alias anything).
struct Out {
  char* p;
  bool invalid_utf8 = false;  // set when a string field was not valid UTF-8
};

// Bytes that need no UTF-8 check (ids, literal keys from our code).
inline char* PutBytes(char* p, char tag, std::string_view b) {
  p = PutLenHeader(p, tag, b.size());
  CopyAndOr(p, b.data(), b.size());
  return p + b.size();
}
// A protobuf `string` field, copied as is. ORs the copied words into `high`: if no byte has
// its high bit set, every string written was ASCII, hence valid UTF-8; otherwise the caller
// validates the strings it wrote (rare).
inline char* PutString(char* p, std::uint64_t& high, char tag, std::string_view s) {
  p = PutLenHeader(p, tag, s.size());
  high |= CopyAndOr(p, s.data(), s.size());
  return p + s.size();
}

template <std::size_t N>
std::string_view AsBytes(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}
// SpanId::IsValid (not all zero), inline.
inline bool IsValidSpanId(const SpanId& id) {
  static_assert(sizeof id.bytes == 8);
  return Load64(reinterpret_cast<const char*>(id.bytes.data())) != 0;
}

// How string fields are sized and written. Common case (AsIs): every string as it is, checked
// while copied. Fallback (Sanitized): strings validated in the sizing pass, invalid ones replaced
// by a sanitised copy recorded in the side store and looked up by address in the writing pass.
struct AsIs {
  std::string_view Size(std::string_view s) const { return s; }
  std::string_view Write(std::string_view s) const { return s; }
};

class Sanitized {
 public:
  // Sizing pass: the text to write for `s` (records a sanitised copy when `s` is invalid).
  std::string_view Size(std::string_view s) {
    if (IsAscii(s.data(), s.size()) || IsValidUtf8(s)) return s;
    fixes_.push_back(Fix{s.data(), s.size(), SanitizeUtf8(s)});
    return fixes_.back().text;
  }
  // Between the passes.
  void Seal() {
    std::sort(fixes_.begin(), fixes_.end(), [](const Fix& a, const Fix& b) {
      return std::less<const char*>()(a.original, b.original);
    });
  }
  // Writing pass: the text recorded for `s` by Size.
  std::string_view Write(std::string_view s) const {
    auto it = std::lower_bound(
        fixes_.begin(), fixes_.end(), s.data(),
        [](const Fix& f, const char* d) { return std::less<const char*>()(f.original, d); });
    return it != fixes_.end() && it->original == s.data() && it->size == s.size()
               ? std::string_view(it->text)
               : s;
  }

 private:
  struct Fix {
    // The checked string: distinct non-empty strings never share both address and size (an
    // empty string may share its address with the next string in an AttributeList's text).
    const char* original;
    std::size_t size;
    std::string text;
  };
  std::vector<Fix> fixes_;
};

// KeyValue { key=1; value=2 (AnyValue) }
// AnyValue { string_value=1; bool_value=2; int_value=3; double_value=4 }
// A static key is a literal from our code: valid UTF-8, written without a check.

// AnyValue body size of a non-string value.
inline std::size_t ScalarValueBody(const AttributeValue& v) {
  switch (v.index()) {
    case 1:
      return 2;
    case 2:
      return 1 + VarintSize(static_cast<std::uint64_t>(*std::get_if<2>(&v)));
    case 3:
      return 9;
    default:  // valueless: an empty AnyValue
      return 0;
  }
}
// KeyValue body size from the key length and the AnyValue body size.
inline std::size_t KeyValueBody(std::size_t key_len, std::size_t value_body) {
  if ((key_len | value_body) < 0x80) [[likely]]
    return 4 + key_len + value_body;
  return LenFieldSize(key_len) + LenFieldSize(value_body);
}

// Fast paths of AttributesSize / PutAttributes: a KeyValue whose *body* is shorter than 0x80
// bytes takes a one-byte length, and so does every length nested in it (the key, the AnyValue
// and its string_value are each shorter than the body). The test is on the whole body, not on
// its parts: a key and a value of 63 bytes each are short, but their KeyValue body is 132 bytes
// and needs a two-byte length.
constexpr std::size_t kOneByteLenLimit = 0x80;
// KeyValue{key, AnyValue{string_value}} body = (2 + key) + (2 + (2 + string)).
constexpr std::size_t kShortStringKeyValueOverhead = 6;
inline bool IsShortStringKeyValue(std::size_t key_len, std::size_t str_len) {
  // The first test keeps the sum from wrapping around.
  return (key_len | str_len) < kOneByteLenLimit &&
         key_len + str_len + kShortStringKeyValueOverhead < kOneByteLenLimit;
}
// KeyValue{key, AnyValue{int_value}} body = (2 + key) + (2 + (1 + varint)).
inline std::size_t IntKeyValueBody(std::size_t key_len, std::size_t int_body) {
  return 4 + key_len + int_body;
}

template <typename Strings>
std::size_t AttributesSize(const AttributeList& attrs, Strings& strings) {
  std::size_t n = 0;
  for (const auto a : attrs) {
    const std::size_t key_len = a.static_key ? a.key.size() : strings.Size(a.key).size();
    std::size_t value_body;
    if (a.value.index() == 0) {
      const std::size_t str_len = strings.Size(*std::get_if<0>(&a.value)).size();
      if (IsShortStringKeyValue(key_len, str_len)) [[likely]] {
        // Tag, one-byte length, body (see PutAttributes).
        n += 2 + kShortStringKeyValueOverhead + key_len + str_len;
        continue;
      }
      value_body = LenFieldSize(str_len);
    } else {
      value_body = ScalarValueBody(a.value);
    }
    n += LenFieldSize(KeyValueBody(key_len, value_body));
  }
  return n;
}

// Fast paths: the tag, one-byte length and key of a KeyValue whose body is `body` < 0x80 bytes.
inline char* PutShortKeyValueHead(char* p, std::uint64_t& high, char tag, std::size_t body,
                                  std::string_view key, bool static_key) {
  p[0] = tag;
  p[1] = static_cast<char>(body);
  p[2] = Tag(1, kLen);
  p[3] = static_cast<char>(key.size());
  const std::uint64_t key_high = CopyAndOr(p + 4, key.data(), key.size());
  if (!static_key) high |= key_high;
  return p + 4 + key.size();
}

template <typename Strings>
char* PutAttributes(char* p, std::uint64_t& high, char tag, const AttributeList& attrs,
                    Strings& strings) {
  for (const auto a : attrs) {
    const bool static_key = a.static_key;
    const std::string_view key = static_key ? a.key : strings.Write(a.key);
    const std::size_t index = a.value.index();
    std::string_view str;
    std::size_t value_body;
    if (index == 0) {
      str = strings.Write(*std::get_if<0>(&a.value));
      if (IsShortStringKeyValue(key.size(), str.size())) [[likely]] {
        // The KeyValue body is < 0x80 bytes, so every length fits one byte.
        p = PutShortKeyValueHead(p, high, tag,
                                 kShortStringKeyValueOverhead + key.size() + str.size(), key,
                                 static_key);
        p[0] = Tag(2, kLen);
        p[1] = static_cast<char>(2 + str.size());
        p[2] = Tag(1, kLen);
        p[3] = static_cast<char>(str.size());
        high |= CopyAndOr(p + 4, str.data(), str.size());
        p += 4 + str.size();
        continue;
      }
      value_body = LenFieldSize(str.size());
    } else if (index == 2 &&
               IntKeyValueBody(key.size(), ScalarValueBody(a.value)) < kOneByteLenLimit)
        [[likely]] {
      // The KeyValue body is < 0x80 bytes, so every length fits one byte.
      const auto v = static_cast<std::uint64_t>(*std::get_if<2>(&a.value));
      const std::size_t int_body = 1 + VarintSize(v);
      p = PutShortKeyValueHead(p, high, tag, IntKeyValueBody(key.size(), int_body), key,
                               static_key);
      p[0] = Tag(2, kLen);
      p[1] = static_cast<char>(int_body);
      p[2] = Tag(3, kVarint);
      p = PutVarint(p + 3, v);
      continue;
    } else {
      value_body = ScalarValueBody(a.value);
    }
    p = PutLenHeader(p, tag, KeyValueBody(key.size(), value_body));
    if (static_key) {
      p = PutBytes(p, Tag(1, kLen), key);
    } else {
      p = PutString(p, high, Tag(1, kLen), key);
    }
    p = PutLenHeader(p, Tag(2, kLen), value_body);
    switch (index) {
      case 0:
        p = PutString(p, high, Tag(1, kLen), str);
        break;
      case 1:
        p[0] = Tag(2, kVarint);
        p[1] = *std::get_if<1>(&a.value) ? 1 : 0;
        p += 2;
        break;
      case 2:
        p = PutUint(p, Tag(3, kVarint), static_cast<std::uint64_t>(*std::get_if<2>(&a.value)));
        break;
      case 3: {
        std::uint64_t bits;
        std::memcpy(&bits, std::get_if<3>(&a.value), sizeof bits);
        p = PutFixed64(p, Tag(4, kFixed64), bits);
        break;
      }
      default:
        break;
    }
  }
  return p;
}

// Event { time_unix_nano=1 (fixed64); name=2; attributes=3 }
// The writing pass sizes events again with the text it writes (Strings::Write).
template <typename Strings>
struct WriteSizes {
  Strings& strings;
  std::string_view Size(std::string_view s) const { return strings.Write(s); }
};
template <bool kSizing, typename Strings>
std::size_t EventBodySize(const SpanEvent& e, Strings& strings) {
  if constexpr (kSizing) {
    return 9 + LenFieldSize(strings.Size(e.name).size()) + AttributesSize(e.attributes, strings);
  } else {
    WriteSizes<Strings> w{strings};
    return 9 + LenFieldSize(strings.Write(e.name).size()) + AttributesSize(e.attributes, w);
  }
}

// Status { message=2; code=3 }
template <bool kSizing, typename Strings>
std::size_t StatusBodySize(const SpanData& s, Strings& strings) {
  std::size_t n = 1 + VarintSize(static_cast<std::uint64_t>(s.status));
  if (!s.status_message.empty()) {
    n += LenFieldSize(
        (kSizing ? strings.Size(s.status_message) : strings.Write(s.status_message)).size());
  }
  return n;
}

// Span { trace_id=1; span_id=2; trace_state=3; parent_span_id=4; name=5; kind=6;
//        start_time_unix_nano=7 (fixed64); end_time_unix_nano=8 (fixed64); attributes=9;
//        events=11; status=15 }
template <typename Strings>
std::size_t SpanBodySize(const SpanData& s, Strings& strings) {
  std::size_t n = LenFieldSize(16) + LenFieldSize(8) + 9 + 9;  // ids and timestamps
  if (!s.trace_state.empty()) n += LenFieldSize(strings.Size(s.trace_state).size());
  if (IsValidSpanId(s.parent_span_id)) n += LenFieldSize(8);
  n += LenFieldSize(strings.Size(s.name).size());
  n += 1 + VarintSize(static_cast<std::uint64_t>(s.kind));
  n += AttributesSize(s.attributes, strings);
  for (const auto& e : s.events) n += LenFieldSize(EventBodySize<true>(e, strings));
  if (s.status != SpanStatus::kUnset) n += LenFieldSize(StatusBodySize<true>(s, strings));
  return n;
}

// Whether the strings PutAttributes / PutSpan wrote are valid UTF-8 (static keys excluded).
template <typename Strings>
bool AttributesValid(const AttributeList& attrs, Strings& strings) {
  for (const auto a : attrs) {
    if (!a.static_key && !IsValidUtf8(strings.Write(a.key))) return false;
    if (a.value.index() == 0 && !IsValidUtf8(strings.Write(*std::get_if<0>(&a.value)))) {
      return false;
    }
  }
  return true;
}
template <typename Strings>
bool SpanStringsValid(const SpanData& s, Strings& strings) {
  if (!IsValidUtf8(strings.Write(s.trace_state)) || !IsValidUtf8(strings.Write(s.name)) ||
      !AttributesValid(s.attributes, strings)) {
    return false;
  }
  for (const auto& e : s.events) {
    if (!IsValidUtf8(strings.Write(e.name)) || !AttributesValid(e.attributes, strings)) {
      return false;
    }
  }
  return s.status == SpanStatus::kUnset || IsValidUtf8(strings.Write(s.status_message));
}

template <typename Strings>
void PutSpan(Out& o, const SpanData& s, std::size_t body, Strings& strings) {
  char* p = o.p;
  std::uint64_t high = 0;
  p = PutLenHeader(p, Tag(2, kLen), body);  // ScopeSpans.spans
  p = PutBytes(p, Tag(1, kLen), AsBytes(s.trace_id.bytes));
  p = PutBytes(p, Tag(2, kLen), AsBytes(s.span_id.bytes));
  if (!s.trace_state.empty()) p = PutString(p, high, Tag(3, kLen), strings.Write(s.trace_state));
  if (IsValidSpanId(s.parent_span_id))
    p = PutBytes(p, Tag(4, kLen), AsBytes(s.parent_span_id.bytes));
  p = PutString(p, high, Tag(5, kLen), strings.Write(s.name));
  p = PutUint(p, Tag(6, kVarint), static_cast<std::uint64_t>(s.kind));
  p = PutFixed64(p, Tag(7, kFixed64), s.start_unix_nano);
  p = PutFixed64(p, Tag(8, kFixed64), s.end_unix_nano);
  p = PutAttributes(p, high, Tag(9, kLen), s.attributes, strings);
  for (const auto& e : s.events) {
    p = PutLenHeader(p, Tag(11, kLen), EventBodySize<false>(e, strings));
    p = PutFixed64(p, Tag(1, kFixed64), e.time_unix_nano);
    p = PutString(p, high, Tag(2, kLen), strings.Write(e.name));
    p = PutAttributes(p, high, Tag(3, kLen), e.attributes, strings);
  }
  if (s.status != SpanStatus::kUnset) {
    p = PutLenHeader(p, Tag(15, kLen), StatusBodySize<false>(s, strings));
    if (!s.status_message.empty()) {
      p = PutString(p, high, Tag(2, kLen), strings.Write(s.status_message));
    }
    p = PutUint(p, Tag(3, kVarint), static_cast<std::uint64_t>(s.status));
  }
  o.p = p;
  if ((high & kHighBits) != 0) [[unlikely]]
    o.invalid_utf8 |= !SpanStringsValid(s, strings);
}

// Appends the span as an encoded ScopeSpans.spans field; returns false (and a partial `out`)
// if a string written as is was not valid UTF-8, which only happens with AsIs.
template <typename Strings>
bool EncodeSpan(const SpanData& span, Strings& strings, std::string& out) {
  const std::size_t body = SpanBodySize(span, strings);  // pass 1: sizes
  if constexpr (std::is_same_v<Strings, Sanitized>) strings.Seal();
  const std::size_t start = out.size();
  out.resize(start + LenFieldSize(body));
  Out o{out.data() + start};
  PutSpan(o, span, body, strings);  // pass 2: write
  assert(o.p == out.data() + out.size());
  return !o.invalid_utf8;
}

// Writes the request's head (everything before the span fields, which take `spans_size` bytes)
// into `out`; false as EncodeSpan.
template <typename Strings>
bool EncodeHead(const Resource& resource, const InstrumentationScope& scope, std::size_t spans_size,
                Strings& strings, std::string& out) {
  // ExportTraceServiceRequest { resource_spans=1 }
  //   ResourceSpans { resource=1; scope_spans=2 }, Resource { attributes=1 },
  //   ScopeSpans { scope=1; spans=2 }, InstrumentationScope { name=1; version=2 }
  const std::size_t resource_body = AttributesSize(resource.attributes, strings);
  std::size_t scope_body = LenFieldSize(strings.Size(scope.name).size());
  if (!scope.version.empty()) scope_body += LenFieldSize(strings.Size(scope.version).size());
  const std::size_t scope_spans_body = LenFieldSize(scope_body) + spans_size;
  const std::size_t resource_spans_body =
      LenFieldSize(resource_body) + LenFieldSize(scope_spans_body);
  const std::size_t total = LenFieldSize(resource_spans_body);
  if constexpr (std::is_same_v<Strings, Sanitized>) strings.Seal();
  out.resize(total - spans_size);
  char* p = out.data();
  std::uint64_t high = 0;
  p = PutLenHeader(p, Tag(1, kLen), resource_spans_body);
  p = PutLenHeader(p, Tag(1, kLen), resource_body);
  p = PutAttributes(p, high, Tag(1, kLen), resource.attributes, strings);
  p = PutLenHeader(p, Tag(2, kLen), scope_spans_body);
  p = PutLenHeader(p, Tag(1, kLen), scope_body);
  p = PutString(p, high, Tag(1, kLen), strings.Write(scope.name));
  if (!scope.version.empty()) p = PutString(p, high, Tag(2, kLen), strings.Write(scope.version));
  assert(p == out.data() + out.size());
  return (high & kHighBits) == 0 ||
         (AttributesValid(resource.attributes, strings) && IsValidUtf8(strings.Write(scope.name)) &&
          IsValidUtf8(strings.Write(scope.version)));
}

// ---- OTLP/JSON ----
void JsonAnyValue(std::string& out, const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
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

void JsonAttributes(std::string& out, const AttributeList& attrs) {
  out += '[';
  bool first = true;
  for (const auto a : attrs) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    AppendJsonString(out, a.key);
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

void AppendOtlpProtobufSpan(const SpanData& span, std::string& out) {
  const std::size_t start = out.size();
  AsIs as_is;
  if (EncodeSpan(span, as_is, out)) return;
  out.resize(start);
  Sanitized sanitized;  // some string is not valid UTF-8: size and write the sanitised text
  EncodeSpan(span, sanitized, out);
}

std::string OtlpProtobufHead(const Resource& resource, const InstrumentationScope& scope,
                             std::size_t span_fields_size) {
  std::string out;
  AsIs as_is;
  if (!EncodeHead(resource, scope, span_fields_size, as_is, out)) {
    Sanitized sanitized;
    EncodeHead(resource, scope, span_fields_size, sanitized, out);
  }
  return out;
}

void AppendOtlpJsonSpan(const SpanData& span, std::string& out) {
  out += ',';  // OtlpJsonSpanList drops the first one
  JsonSpan(out, span);
}

std::string OtlpJsonHead(const Resource& resource, const InstrumentationScope& scope) {
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
  return out;
}

}  // namespace astraguard::obs
