#pragma once
// Plain data of a finished span, as handed from the Tracer to a SpanProcessor/SpanExporter.
// Field meanings follow the OTLP trace data model (opentelemetry/proto/trace/v1/trace.proto).
// Thread-safety: plain values.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "astraguard/obs/trace_context.hpp"

namespace astraguard::obs {

enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class SpanStatus { kUnset = 0, kOk = 1, kError = 2 };

using AttributeValue = std::variant<std::string, bool, std::int64_t, double>;

// Marks an attribute key with static storage duration (a string literal): stored as a pointer,
// so the well-known semantic-convention keys cost no allocation per span.
struct StaticKey {
  explicit constexpr StaticKey(const char* k) : str(k) {}
  std::string_view str;  // length computed at compile time for literals
};

struct Attribute {
  Attribute() = default;
  Attribute(std::string k, AttributeValue v) : owned_key(std::move(k)), value(std::move(v)) {}
  Attribute(StaticKey k, AttributeValue v) : static_key(k.str), value(std::move(v)) {}
  std::string_view key() const { return static_key.data() != nullptr ? static_key : owned_key; }

  std::string_view static_key;  // set for StaticKey keys
  std::string owned_key;        // otherwise
  AttributeValue value;
};

struct SpanEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<Attribute> attributes;
};

struct SpanData {
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // all zero for a root span
  std::string trace_state;
  std::uint8_t trace_flags = 0;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message;
};

// The entity producing spans (OTLP Resource), e.g. service.name.
struct Resource {
  std::vector<Attribute> attributes;
};

using SpanBatch = std::vector<std::unique_ptr<SpanData>>;

}  // namespace astraguard::obs
