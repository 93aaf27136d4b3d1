#include "astraguard/obs/trace/tracer.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace astraguard::obs {
namespace {

class RecordingProcessor final : public SpanProcessor {
 public:
  void OnEnd(const SpanData& span) override {
    std::lock_guard<std::mutex> l(mu);
    spans.push_back(std::make_unique<SpanData>(span));
  }
  bool ForceFlush(std::chrono::milliseconds) override { return true; }
  void Shutdown(std::chrono::milliseconds) override { shut_down = true; }
  std::mutex mu;
  std::vector<std::unique_ptr<SpanData>> spans;
  bool shut_down = false;
};

struct Fixture {
  explicit Fixture(SamplerConfig s = {}) {
    auto p = std::make_unique<RecordingProcessor>();
    proc = p.get();
    tracer = std::make_unique<Tracer>(s, std::move(p), clock);
  }
  FakeClock clock;
  RecordingProcessor* proc;
  std::unique_ptr<Tracer> tracer;
};

TEST(TracerTest, ChildSpanSharesTraceAndPointsAtParent) {
  Fixture f;
  {
    ScopedSpan parent(f.tracer->StartSpan("parent", SpanKind::kServer));
    f.clock.Advance(std::chrono::microseconds(10));
    {
      ScopedSpan child(f.tracer->StartSpan("child"));
      EXPECT_EQ(CurrentSpanContext(), &child.span().context());
      f.clock.Advance(std::chrono::microseconds(250));
    }
    EXPECT_EQ(CurrentSpanContext(), &parent.span().context());
  }
  EXPECT_EQ(CurrentSpanContext(), nullptr);
  ASSERT_EQ(f.proc->spans.size(), 2u);
  const SpanData& child = *f.proc->spans[0];
  const SpanData& parent = *f.proc->spans[1];
  EXPECT_EQ(child.name, "child");
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.parent_span_id, parent.span_id);
  EXPECT_FALSE(parent.parent_span_id.IsValid());
  EXPECT_EQ(parent.kind, SpanKind::kServer);
  EXPECT_EQ(child.end_unix_nano - child.start_unix_nano, 250'000u);
  EXPECT_EQ(parent.end_unix_nano - parent.start_unix_nano, 260'000u);
}

TEST(TracerTest, CallerSuppliedStartAndEndTimes) {
  Fixture f;
  using std::chrono::microseconds;
  const auto t0 = f.clock.Now();
  f.clock.Advance(microseconds(40));  // the tracer's clock has moved on; the caller's times rule
  {
    ScopedSpan parent(f.tracer->StartSpan("parent", SpanKind::kServer, t0));
    ScopedSpan child(f.tracer->StartSpan("child", SpanKind::kInternal, t0 + microseconds(5)));
    child->End(t0 + microseconds(25));
    f.clock.Advance(microseconds(1000));
    child->End(t0 + microseconds(999));  // already ended: ignored
    parent->End(t0 + microseconds(30));
  }
  ASSERT_EQ(f.proc->spans.size(), 2u);
  const SpanData& child = *f.proc->spans[0];
  const SpanData& parent = *f.proc->spans[1];
  // The root's wall time is anchored on the clock reading taken when it started: t0 is 40 us
  // before that reading.
  EXPECT_EQ(parent.start_unix_nano,
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           f.clock.WallNow().time_since_epoch())
                                           .count()) -
                1'040'000u);
  EXPECT_EQ(child.start_unix_nano - parent.start_unix_nano, 5'000u);
  EXPECT_EQ(child.end_unix_nano - child.start_unix_nano, 20'000u);
  EXPECT_EQ(parent.end_unix_nano - parent.start_unix_nano, 30'000u);
}

TEST(TracerTest, ChildTimesNestInsideParentOnTheRealClock) {
  SystemClock clock;
  auto p = std::make_unique<RecordingProcessor>();
  RecordingProcessor* proc = p.get();
  Tracer tracer(SamplerConfig{}, std::move(p), clock);
  for (int i = 0; i < 2000; ++i) {
    ScopedSpan parent(tracer.StartSpan("parent"));
    ScopedSpan child(tracer.StartSpan("child"));
  }  // the child ends nanoseconds before the parent
  ASSERT_EQ(proc->spans.size(), 4000u);
  for (std::size_t i = 0; i < proc->spans.size(); i += 2) {
    const SpanData& child = *proc->spans[i];
    const SpanData& parent = *proc->spans[i + 1];
    ASSERT_EQ(child.parent_span_id, parent.span_id);
    ASSERT_GE(child.start_unix_nano, parent.start_unix_nano) << i;
    ASSERT_LE(child.end_unix_nano, parent.end_unix_nano) << i;
    ASSERT_LE(child.start_unix_nano, child.end_unix_nano) << i;
  }
}

TEST(TracerTest, RemoteParentFromTraceparent) {
  Fixture f;
  HttpServerSpanInfo info;
  info.method = "POST";
  info.route = "/api/v1/telemetry";
  info.path = "/api/v1/telemetry";
  info.server_port = 8000;
  info.client_address = "10.0.0.7";
  info.user_agent = "curl/8";
  info.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  info.tracestate = "vendor=x";
  {
    Span s = StartHttpServerSpan(*f.tracer, info);
    EXPECT_EQ(s.context().trace_id.Hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    SetHttpServerSpanResult(s, 404);
  }
  ASSERT_EQ(f.proc->spans.size(), 1u);
  const SpanData& d = *f.proc->spans[0];
  EXPECT_EQ(d.name, "POST /api/v1/telemetry");
  EXPECT_EQ(d.kind, SpanKind::kServer);
  EXPECT_EQ(d.parent_span_id.Hex(), "00f067aa0ba902b7");
  EXPECT_EQ(d.trace_state, "vendor=x");
  EXPECT_EQ(d.status, SpanStatus::kUnset);  // 4xx leaves status unset on SERVER spans
  auto attr = [&](std::string_view k) { return d.attributes.Find(k).value_or(false); };
  EXPECT_EQ(std::get<std::string_view>(attr("http.request.method")), "POST");
  EXPECT_EQ(std::get<std::string_view>(attr("http.route")), "/api/v1/telemetry");
  EXPECT_EQ(std::get<std::string_view>(attr("url.path")), "/api/v1/telemetry");
  EXPECT_EQ(std::get<std::int64_t>(attr("server.port")), 8000);
  EXPECT_EQ(std::get<std::string_view>(attr("client.address")), "10.0.0.7");
  EXPECT_EQ(std::get<std::string_view>(attr("user_agent.original")), "curl/8");
  EXPECT_EQ(std::get<std::int64_t>(attr("http.response.status_code")), 404);
}

TEST(TracerTest, ServerErrorSetsErrorStatus) {
  Fixture f;
  {
    Span s = StartHttpServerSpan(*f.tracer, {.method = "GET", .route = "/health"});
    SetHttpServerSpanResult(s, 503);
  }
  ASSERT_EQ(f.proc->spans.size(), 1u);
  EXPECT_EQ(f.proc->spans[0]->status, SpanStatus::kError);
}

TEST(TracerTest, InvalidTraceparentStartsNewTrace) {
  Fixture f;
  Span s = StartHttpServerSpan(*f.tracer, {.method = "GET", .route = "/", .traceparent = "junk"});
  EXPECT_TRUE(s.context().IsValid());
  EXPECT_TRUE(s.IsRecording());
  s.End();
  ASSERT_EQ(f.proc->spans.size(), 1u);
  EXPECT_FALSE(f.proc->spans[0]->parent_span_id.IsValid());
}

TEST(TracerTest, ParentBasedSamplerFollowsUnsampledParent) {
  Fixture f;  // parentbased_always_on
  auto parent = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  {
    Span s = f.tracer->StartSpanWithParent("x", SpanKind::kServer, &*parent);
    EXPECT_FALSE(s.IsRecording());
    EXPECT_EQ(s.context().trace_id, parent->trace_id);  // still propagated
    EXPECT_NE(s.context().span_id, parent->span_id);
    s.SetAttribute("ignored", 1);
  }
  EXPECT_TRUE(f.proc->spans.empty());
}

TEST(SamplerTest, RatioSamplesExpectedFraction) {
  SamplerConfig c{SamplerKind::kTraceIdRatio, 0.25};
  int sampled = 0;
  for (int i = 0; i < 20000; ++i) sampled += ShouldSample(c, nullptr, NewTraceId()) ? 1 : 0;
  EXPECT_NEAR(sampled / 20000.0, 0.25, 0.02);
  EXPECT_TRUE(ShouldSample({SamplerKind::kTraceIdRatio, 1.0}, nullptr, NewTraceId()));
  EXPECT_FALSE(ShouldSample({SamplerKind::kTraceIdRatio, 0.0}, nullptr, NewTraceId()));
}

TEST(SamplerTest, ParentBasedRatioUsesParentDecisionWhenPresent) {
  SamplerConfig c{SamplerKind::kParentBasedTraceIdRatio, 0.0};
  SpanContext sampled_parent;
  sampled_parent.trace_id = NewTraceId();
  sampled_parent.span_id = NewSpanId();
  sampled_parent.trace_flags = kTraceFlagSampled;
  EXPECT_TRUE(ShouldSample(c, &sampled_parent, sampled_parent.trace_id));
  EXPECT_FALSE(ShouldSample(c, nullptr, NewTraceId()));
  EXPECT_FALSE(ShouldSample({SamplerKind::kAlwaysOff, 1}, &sampled_parent, NewTraceId()));
  EXPECT_FALSE(ShouldSample({SamplerKind::kParentBasedAlwaysOff, 1}, nullptr, NewTraceId()));
}

TEST(TracerTest, DisabledTracerPassesRemoteContextThrough) {
  FakeClock clock;
  Tracer tracer(SamplerConfig{}, nullptr, clock);
  auto parent = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  Span s = tracer.StartSpanWithParent("x", SpanKind::kServer, &*parent);
  EXPECT_FALSE(s.IsRecording());
  EXPECT_EQ(s.context().trace_id, parent->trace_id);
  Span root = tracer.StartSpan("y");
  EXPECT_FALSE(root.context().IsValid());
}

TEST(TracerTest, StatusOkIsFinalAndExceptionEventRecorded) {
  Fixture f;
  {
    Span s = f.tracer->StartSpan("work");
    s.RecordException("std::runtime_error", "boom");
    s.SetStatus(SpanStatus::kError, "boom");
    s.SetStatus(SpanStatus::kOk);
    s.SetStatus(SpanStatus::kError, "later");
  }
  ASSERT_EQ(f.proc->spans.size(), 1u);
  EXPECT_EQ(f.proc->spans[0]->status, SpanStatus::kOk);
  ASSERT_EQ(f.proc->spans[0]->events.size(), 1u);
  EXPECT_EQ(f.proc->spans[0]->events[0].name, "exception");
}

TEST(TracerTest, ShutdownStopsExportAndIsIdempotent) {
  Fixture f;
  f.tracer->Shutdown(std::chrono::milliseconds(10));
  f.tracer->Shutdown(std::chrono::milliseconds(10));
  EXPECT_TRUE(f.proc->shut_down);
  { Span s = f.tracer->StartSpan("after"); }
  EXPECT_TRUE(f.proc->spans.empty());
}

}  // namespace
}  // namespace astraguard::obs
