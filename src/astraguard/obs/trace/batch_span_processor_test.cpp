#include "astraguard/obs/trace/batch_span_processor.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace astraguard::obs {
namespace {

// Encodes a span as its name and a newline.
class FakeExporter final : public SpanExporter {
 public:
  void Encode(const SpanData& span, std::string& out) const override {
    out += span.name;
    out += '\n';
  }
  ExportResult Send(std::string_view encoded, std::size_t spans,
                    std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_until(l, deadline, [&] { return !block || shut; });
    batches.push_back(spans);
    for (std::size_t i = 0; i < spans; ++i) {
      const std::size_t nl = encoded.find('\n');
      names.emplace_back(encoded.substr(0, nl));
      encoded.remove_prefix(nl + 1);
    }
    EXPECT_TRUE(encoded.empty());
    return fail ? ExportResult::kFailure : ExportResult::kSuccess;
  }
  void Shutdown() override {
    std::lock_guard<std::mutex> l(mu);
    shut = true;
    cv.notify_all();
  }
  void Unblock() {
    std::lock_guard<std::mutex> l(mu);
    block = false;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::size_t> batches;
  std::vector<std::string> names;
  bool block = false;
  bool fail = false;
  bool shut = false;
};

SpanData MakeSpan(std::string name) {
  SpanData s;
  s.name = std::move(name);
  return s;
}

TEST(BatchSpanProcessorTest, ExportsInBatchesOfConfiguredSize) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.max_export_batch_size = 4;
  cfg.schedule_delay = std::chrono::milliseconds(10000);
  BatchSpanProcessor p(cfg, std::move(e));
  for (int i = 0; i < 10; ++i) p.OnEnd(MakeSpan(std::string("s").append(std::to_string(i))));
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  auto st = p.stats();
  EXPECT_EQ(st.exported, 10u);
  EXPECT_EQ(st.dropped, 0u);
  std::lock_guard<std::mutex> l(ex->mu);
  for (auto b : ex->batches) EXPECT_LE(b, 4u);
  ASSERT_EQ(ex->names.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ex->names[i], std::string("s").append(std::to_string(i)));
}

TEST(BatchSpanProcessorTest, PartialBatchWaitsForTheScheduleDelayThenGoesAsOneRequest) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;  // batches of 512
  cfg.schedule_delay = std::chrono::milliseconds(60000);
  BatchSpanProcessor p(cfg, std::move(e));
  for (int i = 0; i < 256; ++i) p.OnEnd(MakeSpan(std::string("s").append(std::to_string(i))));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // several polls of the worker
  EXPECT_EQ(p.stats().exported, 0u);
  EXPECT_EQ(p.stats().in_queue, 256u);
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(p.stats().exported, 256u);
  EXPECT_EQ(p.stats().in_queue, 0u);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_EQ(ex->batches, std::vector<std::size_t>{256});  // one request
  ASSERT_EQ(ex->names.size(), 256u);
  EXPECT_EQ(ex->names.front(), "s0");
  EXPECT_EQ(ex->names.back(), "s255");
}

TEST(BatchSpanProcessorTest, ConcurrentSpansAreAllExportedOrCounted) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.schedule_delay = std::chrono::milliseconds(5);
  BatchSpanProcessor p(cfg, std::move(e));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p, t] {
      for (int i = 0; i < 2000; ++i) p.OnEnd(MakeSpan(std::to_string(t) + "-" + std::to_string(i)));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  const auto st = p.stats();
  EXPECT_EQ(st.queued + st.dropped, 8000u);
  EXPECT_EQ(st.exported, st.queued);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_EQ(ex->names.size(), st.queued);
  std::set<std::string> unique(ex->names.begin(), ex->names.end());
  EXPECT_EQ(unique.size(), ex->names.size());
}

TEST(BatchSpanProcessorTest, SpanTooLargeForTheQueueIsDroppedAndCounted) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.max_queue_size = 8;  // a 4 KiB ring: records up to 1 KiB
  BatchSpanProcessor p(cfg, std::move(e));
  p.OnEnd(MakeSpan(std::string(5000, 'x')));
  p.OnEnd(MakeSpan("small"));
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(p.stats().dropped, 1u);
  EXPECT_EQ(p.stats().exported, 1u);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_EQ(ex->names, std::vector<std::string>{"small"});
}

TEST(BatchSpanProcessorTest, ExportsAfterScheduleDelayWithoutFlush) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.schedule_delay = std::chrono::milliseconds(50);
  BatchSpanProcessor p(cfg, std::move(e));
  p.OnEnd(MakeSpan("one"));
  for (int i = 0; i < 100 && p.stats().exported == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(p.stats().exported, 1u);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_EQ(ex->names, std::vector<std::string>{"one"});
}

TEST(BatchSpanProcessorTest, FullQueueDropsWithoutBlocking) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  ex->block = true;
  BatchConfig cfg;
  cfg.max_queue_size = 8;
  cfg.max_export_batch_size = 2;
  cfg.schedule_delay = std::chrono::milliseconds(1);
  BatchSpanProcessor p(cfg, std::move(e));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) p.OnEnd(MakeSpan("x"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  auto st = p.stats();
  EXPECT_EQ(st.queued + st.dropped, 200u);
  EXPECT_GE(st.dropped, 200u - 8u - 2u);  // at most queue + one batch in flight accepted
  ex->Unblock();
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(p.stats().exported, st.queued);
}

TEST(BatchSpanProcessorTest, ShutdownFlushesQueuedSpans) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.schedule_delay = std::chrono::milliseconds(60000);
  auto p = std::make_unique<BatchSpanProcessor>(cfg, std::move(e));
  for (int i = 0; i < 3; ++i) p->OnEnd(MakeSpan("q"));
  p->Shutdown(std::chrono::seconds(5));
  EXPECT_EQ(p->stats().exported, 3u);
  p->OnEnd(MakeSpan("late"));
  EXPECT_EQ(p->stats().dropped, 1u);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_TRUE(ex->shut);
}

TEST(BatchSpanProcessorTest, ShutdownIsBoundedWhenExporterHangs) {
  auto e = std::make_unique<FakeExporter>();
  e->block = true;
  BatchConfig cfg;
  cfg.schedule_delay = std::chrono::milliseconds(1);
  cfg.export_timeout = std::chrono::seconds(60);
  BatchSpanProcessor p(cfg, std::move(e));
  p.OnEnd(MakeSpan("stuck"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // worker is now inside Export
  const auto start = std::chrono::steady_clock::now();
  p.Shutdown(std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(BatchSpanProcessorTest, FailedExportsAreCounted) {
  auto e = std::make_unique<FakeExporter>();
  e->fail = true;
  BatchSpanProcessor p(BatchConfig{}, std::move(e));
  p.OnEnd(MakeSpan("a"));
  p.OnEnd(MakeSpan("b"));
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(p.stats().export_failed, 2u);
  EXPECT_EQ(p.stats().exported, 0u);
}

}  // namespace
}  // namespace astraguard::obs
