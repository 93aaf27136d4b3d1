#include "astraguard/obs/otlp_encoding.hpp"

#include <cstring>

#include "astraguard/obs/json_text.hpp"

namespace astraguard::obs {
namespace {

// ---- protobuf wire format ----
enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

inline void PutVarint(std::string& out, std::uint64_t v) {
  if (v < 0x80) {
    out.push_back(static_cast<char>(v));
    return;
  }
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

// Nested messages are written in place: a one-byte length placeholder, the body, then the
// placeholder is patched (and widened with one memmove when the body is >= 128 bytes).
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

// AnyValue { string_value=1; bool_value=2; int_value=3; double_value=4; ... }
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

// KeyValue { key=1; value=2 }
void PutKeyValue(std::string& out, std::uint32_t field, const AttributeList::Entry& a) {
  const std::size_t m = BeginMessage(out, field);
  if (a.static_key) {
    PutBytes(out, 1, a.key);  // a literal from our code: valid UTF-8, no check needed
  } else {
    PutString(out, 1, a.key);
  }
  PutAnyValue(out, 2, a.value);
  EndMessage(out, m);
}

// Span { trace_id=1; span_id=2; trace_state=3; parent_span_id=4; name=5; kind=6;
//        start_time_unix_nano=7 (fixed64); end_time_unix_nano=8 (fixed64); attributes=9;
//        events=11; status=15 }
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
  for (const auto& a : s.attributes) PutKeyValue(out, 9, a);
  for (const auto& e : s.events) {
    // Event { time_unix_nano=1 (fixed64); name=2; attributes=3 }
    const std::size_t em = BeginMessage(out, 11);
    PutFixed64(out, 1, e.time_unix_nano);
    PutString(out, 2, e.name);
    for (const auto& a : e.attributes) PutKeyValue(out, 3, a);
    EndMessage(out, em);
  }
  if (s.status != SpanStatus::kUnset) {
    // Status { message=2; code=3 }
    const std::size_t sm = BeginMessage(out, 15);
    if (!s.status_message.empty()) PutString(out, 2, s.status_message);
    PutUint(out, 3, static_cast<std::uint64_t>(s.status));
    EndMessage(out, sm);
  }
  EndMessage(out, m);
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
  for (const auto& a : attrs) {
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

std::string EncodeOtlpProtobuf(const Resource& resource, const InstrumentationScope& scope,
                               const SpanBatch& spans) {
  std::size_t estimate = 256;
  for (const auto& a : resource.attributes) estimate += 16 + a.key.size() + 64;
  for (const auto& sp : spans) {
    estimate += 96 + sp->name.size() + sp->trace_state.size() + sp->status_message.size();
    for (const auto& a : sp->attributes) {
      estimate += 16 + a.key.size();
      if (const auto* v = std::get_if<std::string_view>(&a.value)) estimate += v->size();
    }
    for (const auto& e : sp->events) estimate += 128 + e.name.size();
  }
  std::string out;
  out.reserve(estimate);
  // ExportTraceServiceRequest { resource_spans=1 }
  const std::size_t rs = BeginMessage(out, 1);
  {
    // ResourceSpans { resource=1; scope_spans=2 }
    const std::size_t res = BeginMessage(out, 1);  // Resource { attributes=1 }
    for (const auto& a : resource.attributes) PutKeyValue(out, 1, a);
    EndMessage(out, res);
    const std::size_t ss = BeginMessage(out, 2);  // ScopeSpans { scope=1; spans=2 }
    const std::size_t sc = BeginMessage(out, 1);  // InstrumentationScope { name=1; version=2 }
    PutString(out, 1, scope.name);
    if (!scope.version.empty()) PutString(out, 2, scope.version);
    EndMessage(out, sc);
    for (const auto& s : spans) PutSpan(out, 2, *s);
    EndMessage(out, ss);
  }
  EndMessage(out, rs);
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
