#include "astraguard/obs/instrumentation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

namespace astraguard::obs {
namespace {

class Recorder final : public SpanProcessor {
 public:
  void OnEnd(const SpanData& s) override { spans.push_back(std::make_unique<SpanData>(s)); }
  bool ForceFlush(std::chrono::milliseconds) override { return true; }
  void Shutdown(std::chrono::milliseconds) override {}
  std::vector<std::unique_ptr<SpanData>> spans;
};

TEST(InstrumentationTest, TrackedOperationUpdatesAllThreePillars) {
  SystemClock clock;
  Metrics metrics({"1", "test"});
  auto rec = std::make_unique<Recorder>();
  Recorder* recorder = rec.get();
  Tracer tracer(SamplerConfig{}, std::move(rec), clock);
  auto sink = std::make_unique<MemoryLogSink>();
  MemoryLogSink* logs = sink.get();
  LogConfig lc;
  Logger logger(lc, std::move(sink), clock);
  Instrumentation instr(metrics, tracer, logger);
  const Operation op = instr.RegisterOperation("custom_operation");
  {
    auto tracked = instr.Track(op);
    ScopedSpan step(instr.tracer().StartSpan("custom_step"));
    instr.logger().Info("custom", "step_done", {{"items", 3}});
  }
  {
    auto failed = instr.Track(op);
    failed.SetFailed("boom");
  }
  logger.Flush();

  ASSERT_EQ(recorder->spans.size(), 3u);
  const SpanData& step = *recorder->spans[0];
  const SpanData& outer = *recorder->spans[1];
  EXPECT_EQ(step.name, "custom_step");
  EXPECT_EQ(outer.name, "custom_operation");
  EXPECT_EQ(step.parent_span_id, outer.span_id);
  EXPECT_EQ(recorder->spans[2]->status, SpanStatus::kError);

  const std::string text = metrics.Serialize();
  EXPECT_NE(text.find("astra_http_requests_total{endpoint=\"custom_operation\",method=\"internal\","
                      "status=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("astra_http_requests_total{endpoint=\"custom_operation\",method=\"internal\","
                      "status=\"500\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("astra_errors_total{endpoint=\"custom_operation\",type=\"internal\"} 1"),
            std::string::npos);

  auto line = boost::json::parse(logs->Contents()).as_object();
  EXPECT_EQ(line.at("event").as_string(), "step_done");
  EXPECT_EQ(line.at("items").as_int64(), 3);
  EXPECT_EQ(line.at("trace_id").as_string(), step.trace_id.Hex());
  EXPECT_EQ(line.at("span_id").as_string(), step.span_id.Hex());
}

}  // namespace
}  // namespace astraguard::obs
