#include "astraguard/obs/batch_span_processor.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace astraguard::obs {
namespace {

class FakeExporter final : public SpanExporter {
 public:
  ExportResult Export(const SpanBatch& batch,
                      std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_until(l, deadline, [&] { return !block || shut; });
    batches.push_back(batch.size());
    for (const auto& s : batch) names.push_back(s->name);
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

std::unique_ptr<SpanData> MakeSpan(std::string name) {
  auto s = std::make_unique<SpanData>();
  s->name = std::move(name);
  return s;
}

TEST(BatchSpanProcessorTest, ExportsInBatchesOfConfiguredSize) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;
  cfg.max_export_batch_size = 4;
  cfg.schedule_delay = std::chrono::milliseconds(10000);
  BatchSpanProcessor p(cfg, std::move(e));
  for (int i = 0; i < 10; ++i) p.OnEnd(MakeSpan("s" + std::to_string(i)));
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  auto st = p.stats();
  EXPECT_EQ(st.exported, 10u);
  EXPECT_EQ(st.dropped, 0u);
  std::lock_guard<std::mutex> l(ex->mu);
  for (auto b : ex->batches) EXPECT_LE(b, 4u);
  EXPECT_EQ(ex->names.size(), 10u);
}

TEST(BatchSpanProcessorTest, StagedSpansAreRecycledBeforeTheBatchIsSent) {
  auto e = std::make_unique<FakeExporter>();
  FakeExporter* ex = e.get();
  BatchConfig cfg;  // batches of 512
  cfg.schedule_delay = std::chrono::milliseconds(60000);
  BatchSpanProcessor p(cfg, std::move(e));
  std::set<const SpanData*> ours;
  for (int i = 0; i < 256; ++i) {
    auto s = MakeSpan("s" + std::to_string(i));
    ours.insert(s.get());
    p.OnEnd(std::move(s));
  }
  // The worker stages chunks of 128 and hands their SpanData back; no batch is full yet.
  bool recycled = false;
  for (int i = 0; i < 200 && !recycled; ++i) {
    recycled = ours.count(p.NewSpanData().get()) > 0;
    if (!recycled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(recycled);
  EXPECT_EQ(p.stats().exported, 0u);
  ASSERT_TRUE(p.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(p.stats().exported, 256u);
  std::lock_guard<std::mutex> l(ex->mu);
  EXPECT_EQ(ex->batches, std::vector<std::size_t>{256});  // one request
  ASSERT_EQ(ex->names.size(), 256u);
  EXPECT_EQ(ex->names.front(), "s0");
  EXPECT_EQ(ex->names.back(), "s255");
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
