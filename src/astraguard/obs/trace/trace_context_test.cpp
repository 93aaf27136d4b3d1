#include "astraguard/obs/trace/trace_context.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace astraguard::obs {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceparentTest, ParsesValidHeader) {
  auto ctx = ParseTraceparent(kValid);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->trace_id.Hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ctx->span_id.Hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(ctx->IsSampled());
  EXPECT_TRUE(ctx->is_remote);
  EXPECT_EQ(FormatTraceparent(*ctx), kValid);
}

TEST(TraceparentTest, RejectsMalformedHeaders) {
  for (std::string_view bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",         // short
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",        // uppercase
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // version ff
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",        // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",        // zero span id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // v00 with extra
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",        // non-hex
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceparentTest, AcceptsFutureVersionWithExtraFields) {
  auto ctx = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->span_id.Hex(), "00f067aa0ba902b7");
}

TEST(TraceparentTest, UnsampledFlagIsKept) {
  auto ctx = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_FALSE(ctx->IsSampled());
}

TEST(TraceparentTest, TracestateKeptOnlyWithValidParent) {
  auto ok = ExtractW3C(kValid, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->trace_state, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_FALSE(ExtractW3C("garbage", "congo=t61rcWkgMzE").has_value());
  auto ctl = ExtractW3C(kValid, "a=b\nc");
  ASSERT_TRUE(ctl.has_value());
  EXPECT_TRUE(ctl->trace_state.empty());
}

TEST(IdGeneratorTest, IdsAreValidAndDistinctAcrossThreads) {
  std::set<std::string> ids;
  std::mutex mu;
  auto work = [&] {
    std::vector<std::string> local;
    for (int i = 0; i < 2000; ++i) {
      TraceId t = NewTraceId();
      SpanId s = NewSpanId();
      EXPECT_TRUE(t.IsValid());
      EXPECT_TRUE(s.IsValid());
      local.push_back(t.Hex());
    }
    std::lock_guard<std::mutex> l(mu);
    ids.insert(local.begin(), local.end());
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(ids.size(), 4000u);
}

TEST(AmbientContextTest, SwapInstallsAndRestores) {
  EXPECT_EQ(CurrentSpanContext(), nullptr);
  SpanContext c;
  c.trace_id = NewTraceId();
  c.span_id = NewSpanId();
  const SpanContext* prev = detail::SwapCurrentSpanContext(&c);
  EXPECT_EQ(prev, nullptr);
  EXPECT_EQ(CurrentSpanContext(), &c);
  std::thread([] { EXPECT_EQ(CurrentSpanContext(), nullptr); }).join();
  detail::SwapCurrentSpanContext(prev);
  EXPECT_EQ(CurrentSpanContext(), nullptr);
}

}  // namespace
}  // namespace astraguard::obs
