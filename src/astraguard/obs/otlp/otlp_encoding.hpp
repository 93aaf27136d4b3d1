#pragma once
// Encodes span batches as an OTLP ExportTraceServiceRequest
// (opentelemetry/proto/collector/trace/v1/trace_service.proto), either as protobuf binary
// (written by hand: no protobuf library needed) or as OTLP/JSON (hex ids, integer enums,
// 64-bit integers as decimal strings). All strings are sanitised to valid UTF-8, which
// protobuf `string` fields require (Jaeger's decoder rejects invalid UTF-8).
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "astraguard/obs/trace/span_data.hpp"

namespace astraguard::obs {

struct InstrumentationScope {
  std::string name = "astraguard";
  std::string version;
};

// Built in pieces, for an exporter that encodes each span as it ends and sends many later
// without joining the pieces again: Append*Span adds one span's encoded text to `out`
// (protobuf: a ScopeSpans.spans field; JSON: a comma and the span object). The request is
// head + the spans' text + tail, where JSON drops the text's first comma (OtlpJsonSpanList)
// and protobuf has no tail (its head needs the text's size).
void AppendOtlpProtobufSpan(const SpanData& span, std::string& out);
void AppendOtlpJsonSpan(const SpanData& span, std::string& out);
// The JSON span list of a request from AppendOtlpJsonSpan's output: without its first comma.
inline std::string_view OtlpJsonSpanList(std::string_view appended) {
  return appended.empty() ? appended : appended.substr(1);
}
std::string OtlpProtobufHead(const Resource& resource, const InstrumentationScope& scope,
                             std::size_t span_fields_size);
std::string OtlpJsonHead(const Resource& resource, const InstrumentationScope& scope);
inline constexpr std::string_view kOtlpJsonTail = "]}]}]}";

}  // namespace astraguard::obs
