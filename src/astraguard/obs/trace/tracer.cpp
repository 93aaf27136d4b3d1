#include "astraguard/obs/trace/tracer.hpp"

#include <cmath>

namespace astraguard::obs {
namespace {

bool RatioSample(double ratio, const TraceId& id) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  // OpenTelemetry's TraceIdRatioBased: compare the low 64 bits against ratio * 2^64.
  const auto bound = static_cast<std::uint64_t>(std::ldexp(ratio, 64));
  return id.Low64() < bound;
}

std::uint64_t UnixNanos(std::chrono::system_clock::time_point tp) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count());
}

// Wall time of `mono` on the trace's time base.
std::uint64_t AnchoredNanos(const SpanContext& ctx, std::chrono::steady_clock::time_point mono) {
  const auto delta =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mono - ctx.anchor_mono).count();
  return delta >= 0
             ? ctx.anchor_wall_ns + static_cast<std::uint64_t>(delta)
             : ctx.anchor_wall_ns -
                   std::min<std::uint64_t>(ctx.anchor_wall_ns, static_cast<std::uint64_t>(-delta));
}

constexpr std::size_t kMaxEvents = 128;

// SpanData of the spans this thread ended, for its next recording spans (see tracer.hpp): a
// cache of plain buffers, like an allocator's, shared by every Tracer. A server span and its
// detection span are open together, so a few suffice; a SpanData whose attributes grew large
// is freed instead.
class SpareSpanData {
 public:
  std::unique_ptr<SpanData> Take() {
    if (n_ == 0) return std::make_unique<SpanData>();
    return std::move(items_[--n_]);
  }
  void Give(std::unique_ptr<SpanData> d) {
    if (n_ < kMax && d->attributes.capacity_bytes() <= 16 * 1024) items_[n_++] = std::move(d);
  }

 private:
  static constexpr std::size_t kMax = 4;
  std::unique_ptr<SpanData> items_[kMax];
  std::size_t n_ = 0;
};
thread_local SpareSpanData t_spare;

}  // namespace

bool ShouldSample(const SamplerConfig& c, const SpanContext* parent, const TraceId& trace_id) {
  const bool has_parent = parent != nullptr && parent->IsValid();
  switch (c.kind) {
    case SamplerKind::kAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
      return RatioSample(c.ratio, trace_id);
    case SamplerKind::kParentBasedAlwaysOn:
      return has_parent ? parent->IsSampled() : true;
    case SamplerKind::kParentBasedAlwaysOff:
      return has_parent ? parent->IsSampled() : false;
    case SamplerKind::kParentBasedTraceIdRatio:
      return has_parent ? parent->IsSampled() : RatioSample(c.ratio, trace_id);
  }
  return false;
}

// ---- Span ----

Span::Span(Span&& o) noexcept
    : tracer_(o.tracer_),
      data_(std::move(o.data_)),
      ctx_(std::move(o.ctx_)),
      start_mono_(o.start_mono_),
      ended_(o.ended_) {
  o.tracer_ = nullptr;
  o.ended_ = true;
}

Span& Span::operator=(Span&& o) noexcept {
  if (this != &o) {
    End();
    tracer_ = o.tracer_;
    data_ = std::move(o.data_);
    ctx_ = std::move(o.ctx_);
    start_mono_ = o.start_mono_;
    ended_ = o.ended_;
    o.tracer_ = nullptr;
    o.ended_ = true;
  }
  return *this;
}

void Span::SetAttribute(std::string_view key, std::string_view value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(std::string_view key, std::int64_t value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(std::string_view key, double value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(std::string_view key, bool value) {
  if (data_) data_->attributes.Set(key, value);
}

void Span::SetAttribute(StaticKey key, std::string_view value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(StaticKey key, std::int64_t value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(StaticKey key, double value) {
  if (data_) data_->attributes.Set(key, value);
}
void Span::SetAttribute(StaticKey key, bool value) {
  if (data_) data_->attributes.Set(key, value);
}

void Span::AddAttribute(StaticKey key, const AttributeValue& value) {
  if (data_) data_->attributes.Add(key, value);
}

void Span::SetStatus(SpanStatus status, std::string_view message) {
  if (!data_) return;
  // Ok is final; Unset never overrides (OpenTelemetry API rules).
  if (data_->status == SpanStatus::kOk || status == SpanStatus::kUnset) return;
  data_->status = status;
  data_->status_message = status == SpanStatus::kError ? std::string(message) : std::string();
}

void Span::RecordException(std::string_view type, std::string_view message) {
  if (!data_ || data_->events.size() >= kMaxEvents || tracer_ == nullptr) return;
  SpanEvent ev;
  ev.name = "exception";
  ev.time_unix_nano = AnchoredNanos(ctx_, tracer_->clock_.Now());
  ev.attributes.Add(StaticKey("exception.type"), type);
  ev.attributes.Add(StaticKey("exception.message"), message);
  data_->events.push_back(std::move(ev));
}

void Span::UpdateName(std::string_view name) {
  if (data_) data_->name = std::string(name);
}

void Span::End(std::chrono::steady_clock::time_point end) {
  if (ended_) return;
  ended_ = true;
  if (tracer_ != nullptr && data_) tracer_->Finish(*this, end);
  if (data_) t_spare.Give(std::move(data_));
}

// ---- Tracer ----

Tracer::Tracer(const SamplerConfig& sampler, std::unique_ptr<SpanProcessor> processor,
               const Clock& clock)
    : sampler_(sampler), processor_(std::move(processor)), clock_(clock) {}

Tracer::~Tracer() { Shutdown(std::chrono::seconds(5)); }

Span Tracer::StartSpan(std::string_view name, SpanKind kind,
                       std::chrono::steady_clock::time_point start) {
  return StartSpanWithParent(name, kind, CurrentSpanContext(), start);
}

Span Tracer::StartSpanWithParent(std::string_view name, SpanKind kind, const SpanContext* parent,
                                 std::chrono::steady_clock::time_point start) {
  Span span;
  span.tracer_ = this;
  const bool has_parent = parent != nullptr && parent->IsValid();
  if (!enabled()) {
    // No-op SDK: propagate the parent's identity unchanged.
    if (has_parent) {
      span.ctx_ = *parent;
      span.ctx_.is_remote = false;
    }
    span.ended_ = true;
    return span;
  }
  started_.fetch_add(1, std::memory_order_relaxed);
  span.ctx_.trace_id = has_parent ? parent->trace_id : NewTraceId();
  span.ctx_.span_id = NewSpanId();
  if (has_parent) span.ctx_.trace_state = parent->trace_state;
  const bool sampled = ShouldSample(sampler_, has_parent ? parent : nullptr, span.ctx_.trace_id);
  span.ctx_.trace_flags = sampled ? kTraceFlagSampled : 0;
  if (!sampled || shut_down_.load(std::memory_order_relaxed)) return span;  // no clock reads
  sampled_.fetch_add(1, std::memory_order_relaxed);
  const bool given_start = start != std::chrono::steady_clock::time_point{};
  if (has_parent && !parent->is_remote && parent->anchor_wall_ns != 0) {
    span.ctx_.anchor_wall_ns = parent->anchor_wall_ns;
    span.ctx_.anchor_mono = parent->anchor_mono;
    span.start_mono_ = given_start ? start : clock_.Now();
  } else {
    // The anchor pairs readings of both clocks taken together.
    span.ctx_.anchor_mono = clock_.Now();
    span.ctx_.anchor_wall_ns = UnixNanos(clock_.WallNow());
    span.start_mono_ = given_start ? start : span.ctx_.anchor_mono;
  }
  std::unique_ptr<SpanData> d = t_spare.Take();
  // Reset every field: `d` may be recycled (assign() and clear() keep capacity).
  d->name.assign(name);
  d->kind = kind;
  d->trace_id = span.ctx_.trace_id;
  d->span_id = span.ctx_.span_id;
  d->parent_span_id = has_parent ? parent->span_id : SpanId{};
  d->trace_state.assign(span.ctx_.trace_state);
  d->trace_flags = span.ctx_.trace_flags;
  d->start_unix_nano = AnchoredNanos(span.ctx_, span.start_mono_);
  d->end_unix_nano = 0;
  d->attributes.clear();
  d->events.clear();
  d->status = SpanStatus::kUnset;
  d->status_message.clear();
  span.data_ = std::move(d);
  return span;
}

void Tracer::Finish(Span& span, std::chrono::steady_clock::time_point end) {
  if (end == std::chrono::steady_clock::time_point{}) end = clock_.Now();
  span.data_->end_unix_nano = std::max(span.data_->start_unix_nano, AnchoredNanos(span.ctx_, end));
  if (processor_ && !shut_down_.load(std::memory_order_relaxed)) processor_->OnEnd(*span.data_);
}

bool Tracer::ForceFlush(std::chrono::milliseconds timeout) {
  return processor_ ? processor_->ForceFlush(timeout) : true;
}

void Tracer::Shutdown(std::chrono::milliseconds timeout) {
  if (shut_down_.exchange(true)) return;
  if (processor_) processor_->Shutdown(timeout);
}

TracerStats Tracer::stats() const {
  return TracerStats{started_.load(std::memory_order_relaxed),
                     sampled_.load(std::memory_order_relaxed)};
}

// ---- HTTP server spans ----

Span StartHttpServerSpan(Tracer& tracer, const HttpServerSpanInfo& info) {
  std::optional<SpanContext> remote;
  if (!info.traceparent.empty()) remote = ExtractW3C(info.traceparent, info.tracestate);
  Span span =
      tracer.StartSpanWithParent({}, SpanKind::kServer, remote ? &*remote : nullptr, info.start);
  if (span.IsRecording()) {
    // The name is only built for recorded spans (a sampled-out request allocates nothing).
    std::string& name = span.data_->name;
    name.assign(info.method);
    name += ' ';
    name.append(info.route);
    span.AddAttribute(StaticKey("http.request.method"), info.method);
    span.AddAttribute(StaticKey("http.route"), info.route);
    span.AddAttribute(StaticKey("url.path"), info.path);
    span.AddAttribute(StaticKey("url.scheme"), std::string_view("http"));
    if (info.server_port > 0)
      span.AddAttribute(StaticKey("server.port"), static_cast<std::int64_t>(info.server_port));
    if (!info.client_address.empty())
      span.AddAttribute(StaticKey("client.address"), info.client_address);
    if (!info.user_agent.empty())
      span.AddAttribute(StaticKey("user_agent.original"), info.user_agent);
  }
  return span;
}

void SetHttpServerSpanResult(Span& span, int status_code) {
  if (!span.IsRecording()) return;
  span.SetAttribute(StaticKey("http.response.status_code"), static_cast<std::int64_t>(status_code));
  if (status_code >= 500) span.SetStatus(SpanStatus::kError);
}

}  // namespace astraguard::obs
