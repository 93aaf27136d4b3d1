#pragma once
// Tracer: a small OpenTelemetry-compatible tracer. Creates spans with W3C ids, applies the
// configured sampler, keeps the ambient current span (trace_context.hpp) for logs, and hands
// finished sampled spans to a SpanProcessor (normally BatchSpanProcessor -> OTLP exporter).
//
// Span is a move-only RAII handle: it ends when End() is called or when it is destroyed.
// A non-recording span (sampled out, or tracing disabled) still carries a context, so
// traceparent propagation and log correlation keep working; its setters are no-ops.
// A recording span's SpanData comes from a few its thread keeps from spans it ended (reused at
// once, they are still in that core's cache and keep their capacity), else from the heap.
// Thread-safety: Tracer methods may be called concurrently. A Span belongs to one thread at a
// time. Lifetime: the Tracer must outlive every Span it started; `clock` must outlive the
// Tracer.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "astraguard/common/clock.hpp"
#include "astraguard/obs/trace/span_data.hpp"
#include "astraguard/obs/trace/trace_context.hpp"

namespace astraguard::obs {

enum class SamplerKind {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,  // the OpenTelemetry default
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};

struct SamplerConfig {
  SamplerKind kind = SamplerKind::kParentBasedAlwaysOn;
  double ratio = 1.0;  // for the *TraceIdRatio kinds, in [0, 1]
};

// Sampling decision for a new span: pure function of the config, the parent and the trace id.
bool ShouldSample(const SamplerConfig& config, const SpanContext* parent, const TraceId& trace_id);

// Receives finished spans. OnEnd is called on the thread that ended the span and must not block.
// `span` is reused for a later span once OnEnd returns: copy or encode what you keep.
class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  virtual void OnEnd(const SpanData& span) = 0;
  // Exports everything queued so far; false if `timeout` elapsed first.
  virtual bool ForceFlush(std::chrono::milliseconds timeout) = 0;
  // Flushes (bounded by `timeout`) and stops; later OnEnd calls are dropped.
  virtual void Shutdown(std::chrono::milliseconds timeout) = 0;
};

class Tracer;

class [[nodiscard]] Span final {
 public:
  Span() = default;  // invalid, non-recording
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { End(); }

  bool IsRecording() const { return data_ != nullptr; }
  const SpanContext& context() const { return ctx_; }

  void SetAttribute(std::string_view key, std::string_view value);
  void SetAttribute(std::string_view key, const char* value) {
    SetAttribute(key, std::string_view(value));
  }
  void SetAttribute(std::string_view key, std::int64_t value);
  void SetAttribute(std::string_view key, int value) {
    SetAttribute(key, static_cast<std::int64_t>(value));
  }
  void SetAttribute(std::string_view key, double value);
  void SetAttribute(std::string_view key, bool value);
  // Same, for keys with static storage (no allocation for the key).
  void SetAttribute(StaticKey key, std::string_view value);
  void SetAttribute(StaticKey key, const char* value) {
    SetAttribute(key, std::string_view(value));
  }
  void SetAttribute(StaticKey key, std::int64_t value);
  void SetAttribute(StaticKey key, int value) {
    SetAttribute(key, static_cast<std::int64_t>(value));
  }
  void SetAttribute(StaticKey key, double value);
  void SetAttribute(StaticKey key, bool value);
  // Appends without looking for an existing key: for fresh spans whose keys are distinct.
  void AddAttribute(StaticKey key, const AttributeValue& value);
  void SetStatus(SpanStatus status, std::string_view message = {});
  // Adds the semantic-convention "exception" event.
  void RecordException(std::string_view type, std::string_view message);
  void UpdateName(std::string_view name);
  // Ends the span (idempotent). Later setters are ignored. `end` is the end time when the
  // caller has already read the clock (the default reads it).
  void End(std::chrono::steady_clock::time_point end = {});

 private:
  friend class Tracer;
  friend Span StartHttpServerSpan(Tracer& tracer, const struct HttpServerSpanInfo& info);
  Tracer* tracer_ = nullptr;
  std::unique_ptr<SpanData> data_;
  SpanContext ctx_;
  std::chrono::steady_clock::time_point start_mono_{};
  bool ended_ = false;
};

// Makes `span` the thread's current span for this scope (logs pick up its ids; child spans
// default to it as parent), then restores the previous one and ends the span. Never hold
// across a coroutine suspension point.
class [[nodiscard]] ScopedSpan final {
 public:
  explicit ScopedSpan(Span span)
      : span_(std::move(span)), prev_(detail::SwapCurrentSpanContext(&span_.context())) {}
  ~ScopedSpan() {
    detail::SwapCurrentSpanContext(prev_);
    span_.End();
  }
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;
  Span& span() { return span_; }
  Span* operator->() { return &span_; }

 private:
  Span span_;
  const SpanContext* prev_;
};

struct TracerStats {
  std::uint64_t spans_started = 0;
  std::uint64_t spans_sampled = 0;
};

class Tracer final {
 public:
  // `processor` may be null: then tracing is disabled (OTEL_SDK_DISABLED) and every span is
  // non-recording; an incoming remote parent is passed through unchanged.
  Tracer(const SamplerConfig& sampler, std::unique_ptr<SpanProcessor> processor,
         const Clock& clock);
  ~Tracer();  // calls Shutdown(5 s) if not done yet
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  bool enabled() const { return processor_ != nullptr; }

  // Child of the thread's current span, or a new root when there is none. `start` is the start
  // time when the caller has already read the clock (the default reads it).
  Span StartSpan(std::string_view name, SpanKind kind = SpanKind::kInternal,
                 std::chrono::steady_clock::time_point start = {});
  // Child of `parent` (local or remote); a new root when `parent` is null or invalid.
  Span StartSpanWithParent(std::string_view name, SpanKind kind, const SpanContext* parent,
                           std::chrono::steady_clock::time_point start = {});

  bool ForceFlush(std::chrono::milliseconds timeout);
  // Flushes and stops the processor; idempotent. Call before the process exits.
  void Shutdown(std::chrono::milliseconds timeout);

  TracerStats stats() const;

 private:
  friend class Span;
  void Finish(Span& span, std::chrono::steady_clock::time_point end);

  const SamplerConfig sampler_;
  std::unique_ptr<SpanProcessor> processor_;
  const Clock& clock_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> started_{0};
  std::atomic<std::uint64_t> sampled_{0};
};

// --- HTTP server spans (semantic conventions for HTTP, v1.2x) ---

struct HttpServerSpanInfo {
  std::string_view method{};          // http.request.method
  std::string_view route{};           // http.route: the template, never the raw path
  std::string_view path{};            // url.path
  int server_port = 0;                // server.port
  std::string_view client_address{};  // client.address
  std::string_view user_agent{};      // user_agent.original (omitted when empty)
  std::string_view traceparent{};     // incoming header values, empty when absent
  std::string_view tracestate{};
  std::chrono::steady_clock::time_point start{};  // when the request started; default: now
};

// Starts the SERVER span `{METHOD} {route}`, child of the incoming traceparent when valid.
Span StartHttpServerSpan(Tracer& tracer, const HttpServerSpanInfo& info);
// Sets http.response.status_code; status Error for 5xx, unset otherwise. Does not End().
void SetHttpServerSpanResult(Span& span, int status_code);

}  // namespace astraguard::obs
