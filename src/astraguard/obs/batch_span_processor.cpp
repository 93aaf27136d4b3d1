#include "astraguard/obs/batch_span_processor.hpp"

#include <pthread.h>

namespace astraguard::obs {

using SteadyClock = std::chrono::steady_clock;

BatchSpanProcessor::BatchSpanProcessor(const BatchConfig& config,
                                       std::unique_ptr<SpanExporter> exporter)
    : config_(config),
      exporter_(std::move(exporter)),
      queue_(config.max_queue_size),
      free_(config.max_queue_size) {
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ag-span-export");
    Worker();
  });
}

BatchSpanProcessor::~BatchSpanProcessor() { Shutdown(std::chrono::seconds(5)); }

void BatchSpanProcessor::OnEnd(std::unique_ptr<SpanData> span) {
  // The queue is a power of two >= max_queue_size; enforce the configured bound exactly.
  if (stopping_.load(std::memory_order_relaxed) || queue_.SizeApprox() >= config_.max_queue_size ||
      !queue_.TryPush(span)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queued_.fetch_add(1, std::memory_order_release);
  // One wake-up per sleep, not one futex call per span while the worker is busy.
  if (queue_.SizeApprox() >= config_.max_export_batch_size &&
      worker_waiting_.exchange(false, std::memory_order_acq_rel)) {
    wake_.notify_one();
  }
}

std::unique_ptr<SpanData> BatchSpanProcessor::NewSpanData() {
  if (auto s = free_.TryPop()) return std::move(*s);
  return std::make_unique<SpanData>();
}

std::size_t BatchSpanProcessor::ExportOnce(SteadyClock::time_point deadline) {
  SpanBatch batch;
  batch.reserve(std::min<std::size_t>(config_.max_export_batch_size, queue_.SizeApprox()));
  while (batch.size() < config_.max_export_batch_size) {
    auto s = queue_.TryPop();
    if (!s) break;
    batch.push_back(std::move(*s));
  }
  if (batch.empty()) return 0;
  const ExportResult r = exporter_->Export(batch, deadline);
  if (r == ExportResult::kSuccess)
    exported_.fetch_add(batch.size(), std::memory_order_relaxed);
  else
    failed_.fetch_add(batch.size(), std::memory_order_relaxed);
  processed_.fetch_add(batch.size(), std::memory_order_release);
  const std::size_t n = batch.size();
  for (auto& s : batch) {
    if (s->attributes.capacity_bytes() <= 16 * 1024) (void)free_.TryPush(s);  // else freed here
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.notify_all();
  }
  return n;
}

void BatchSpanProcessor::Worker() {
  std::uint64_t flushes_seen = 0;
  auto next_timer = SteadyClock::now() + config_.schedule_delay;
  for (;;) {
    bool flush = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      worker_waiting_.store(true, std::memory_order_release);
      wake_.wait_until(lock, next_timer, [&] {
        return stopping_.load() || queue_.SizeApprox() >= config_.max_export_batch_size ||
               flush_requested_.load() != flushes_seen;
      });
      worker_waiting_.store(false, std::memory_order_release);
      flush = flush_requested_.load() != flushes_seen;
      flushes_seen = flush_requested_.load();
    }
    if (stopping_.load()) break;
    const bool timer = SteadyClock::now() >= next_timer;
    if (timer || flush) {
      // Schedule delay elapsed (or ForceFlush): export everything queued, batch by batch.
      while (ExportOnce(SteadyClock::now() + config_.export_timeout) > 0) {
        if (stopping_.load()) break;
      }
      next_timer = SteadyClock::now() + config_.schedule_delay;
    } else {
      // Woken because a full batch is waiting: send full batches only, so a busy service
      // sends few large requests instead of many small ones.
      while (queue_.SizeApprox() >= config_.max_export_batch_size && !stopping_.load()) {
        ExportOnce(SteadyClock::now() + config_.export_timeout);
      }
    }
  }
  // Final flush, bounded by the shutdown deadline.
  while (SteadyClock::now() < shutdown_deadline_) {
    if (ExportOnce(std::min(shutdown_deadline_, SteadyClock::now() + config_.export_timeout)) == 0)
      break;
  }
  // Whatever could not be sent in time is dropped (and counted).
  while (auto s = queue_.TryPop()) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    processed_.fetch_add(1, std::memory_order_release);
  }
  std::lock_guard<std::mutex> lock(mu_);
  progress_.notify_all();
}

bool BatchSpanProcessor::ForceFlush(std::chrono::milliseconds timeout) {
  const std::uint64_t target = queued_.load(std::memory_order_acquire);
  std::unique_lock<std::mutex> lock(mu_);
  flush_requested_.fetch_add(1);
  wake_.notify_one();
  return progress_.wait_for(lock, timeout, [&] {
    return processed_.load(std::memory_order_acquire) >= target || stopped_.load();
  });
}

void BatchSpanProcessor::Shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) return;
    shutdown_deadline_ = SteadyClock::now() + timeout;
    stopping_.store(true);
  }
  wake_.notify_all();
  // Cut exporter retries short once the deadline has passed.
  std::thread watchdog;
  std::atomic<bool> done{false};
  {
    watchdog = std::thread([this, &done] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!progress_.wait_until(lock, shutdown_deadline_, [&] { return done.load(); }))
        exporter_->Shutdown();
    });
  }
  worker_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.store(true);
    stopped_.store(true);
    progress_.notify_all();
  }
  watchdog.join();
  exporter_->Shutdown();
}

BatchStats BatchSpanProcessor::stats() const {
  return BatchStats{queued_.load(), dropped_.load(), exported_.load(), failed_.load()};
}

}  // namespace astraguard::obs
