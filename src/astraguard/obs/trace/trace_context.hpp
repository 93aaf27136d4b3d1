#pragma once
// Trace identity: W3C Trace Context ids, traceparent/tracestate parsing and formatting, a fast
// per-thread id generator, and the ambient "current span" of the calling thread.
//
// The ambient context is thread_local: a ScopedSpan (tracer.hpp) installs its context for its
// lifetime and restores the previous one on destruction, so log lines written meanwhile carry
// trace_id/span_id. It must not be held across a coroutine suspension point (another request
// may run on the same thread meanwhile); activate it around synchronous work only.
// Thread-safety: all functions are safe to call concurrently; ids are plain values.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace astraguard::obs {

struct TraceId {
  std::array<std::uint8_t, 16> bytes{};
  bool IsValid() const;         // not all zero
  std::string Hex() const;      // 32 lowercase hex digits
  std::uint64_t Low64() const;  // bytes 8..15 read big-endian (used by traceidratio)
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

struct SpanId {
  std::array<std::uint8_t, 8> bytes{};
  bool IsValid() const;
  std::string Hex() const;  // 16 lowercase hex digits
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

inline constexpr std::uint8_t kTraceFlagSampled = 0x01;

struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t trace_flags = 0;
  std::string trace_state;  // opaque W3C tracestate, propagated unchanged
  bool is_remote = false;
  // Local time base of the trace: wall time (ns since epoch) at `anchor_mono`. Every span of a
  // trace in this process derives its timestamps from one anchor and the monotonic clock, so a
  // child never appears to start before, or end after, its parent. Not propagated.
  std::uint64_t anchor_wall_ns = 0;
  std::chrono::steady_clock::time_point anchor_mono{};
  bool IsValid() const { return trace_id.IsValid() && span_id.IsValid(); }
  bool IsSampled() const { return (trace_flags & kTraceFlagSampled) != 0; }
};

// Parses a W3C `traceparent` header value. Returns nullopt for anything malformed: wrong
// length or separators, uppercase or non-hex digits, version ff, all-zero ids, or a version-00
// value with trailing data. Future versions (01..fe) are accepted if the first 55 characters
// parse and any extra data starts with '-'.
std::optional<SpanContext> ParseTraceparent(std::string_view value);

// Extracts a remote parent from request headers; `tracestate` is kept only when the
// traceparent is valid and the tracestate is at most 512 bytes of printable ASCII.
std::optional<SpanContext> ExtractW3C(std::string_view traceparent, std::string_view tracestate);

// "00-<trace-id>-<span-id>-<flags>".
std::string FormatTraceparent(const SpanContext& ctx);
inline constexpr std::size_t kTraceparentSize = 55;
// Writes the same kTraceparentSize characters at `out`; returns the end.
char* WriteTraceparent(const SpanContext& ctx, char* out);

// Writes 2 * n lowercase hex digits of `bytes` at `out`; returns the end.
char* WriteHex(char* out, const std::uint8_t* bytes, std::size_t n);

// Fast non-cryptographic ids (xoshiro256**, seeded per thread from std::random_device, the
// thread id and the clock). Never returns an all-zero id.
TraceId NewTraceId();
SpanId NewSpanId();

// Ambient context of the calling thread; nullptr when no span is active.
const SpanContext* CurrentSpanContext();

namespace detail {
// Installs `ctx` (may be nullptr) as current and returns the previous pointer. Used by
// ScopedSpan; `ctx` must stay alive until it is replaced again.
const SpanContext* SwapCurrentSpanContext(const SpanContext* ctx);
}  // namespace detail

}  // namespace astraguard::obs
