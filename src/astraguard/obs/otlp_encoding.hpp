#pragma once
// Encodes span batches as an OTLP ExportTraceServiceRequest
// (opentelemetry/proto/collector/trace/v1/trace_service.proto), either as protobuf binary
// (written by hand: no protobuf library needed) or as OTLP/JSON (hex ids, integer enums,
// 64-bit integers as decimal strings). All strings are sanitised to valid UTF-8, which
// protobuf `string` fields require (Jaeger's decoder rejects invalid UTF-8).
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "astraguard/obs/span_data.hpp"

namespace astraguard::obs {

struct InstrumentationScope {
  std::string name = "astraguard";
  std::string version;
};

std::string EncodeOtlpProtobuf(const Resource& resource, const InstrumentationScope& scope,
                               const SpanBatch& spans);
std::string EncodeOtlpJson(const Resource& resource, const InstrumentationScope& scope,
                           const SpanBatch& spans);

// The same in pieces, for exporters that encode spans as they end and send them later without
// joining the pieces: Append*Span(s) adds the spans' encoded text to `out` (protobuf:
// ScopeSpans.spans fields; JSON: comma-separated span objects; `out` holds only such text); the
// request is head + that text + tail (protobuf: no tail; its head needs the text's size).
// Encode*(r, s, spans) == head + Append*Spans(spans) into an empty string + tail.
// Append*Span appends one span's text (JSON: the object alone, no comma); Append*Spans appends
// that of each span in order (JSON: with commas between).
void AppendOtlpProtobufSpan(const SpanData& span, std::string& out);
void AppendOtlpJsonSpan(const SpanData& span, std::string& out);
void AppendOtlpProtobufSpans(const SpanBatch& spans, std::string& out);
void AppendOtlpJsonSpans(const SpanBatch& spans, std::string& out);
std::string OtlpProtobufHead(const Resource& resource, const InstrumentationScope& scope,
                             std::size_t span_fields_size);
std::string OtlpJsonHead(const Resource& resource, const InstrumentationScope& scope);
inline constexpr std::string_view kOtlpJsonTail = "]}]}]}";

}  // namespace astraguard::obs
