#include "astraguard/obs/trace/batch_span_processor.hpp"

#include <pthread.h>

#include <algorithm>

namespace astraguard::obs {

using SteadyClock = std::chrono::steady_clock;

BatchSpanProcessor::BatchSpanProcessor(const BatchConfig& config,
                                       std::unique_ptr<SpanExporter> exporter)
    : config_(config),
      wake_spans_(std::max<std::size_t>(1, config.max_queue_size / 2)),
      exporter_(std::move(exporter)),
      ring_(config.max_queue_size * kBytesPerSpan) {
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ag-span-export");
    Worker();
  });
}

BatchSpanProcessor::~BatchSpanProcessor() { Shutdown(std::chrono::seconds(5)); }

void BatchSpanProcessor::OnEnd(const SpanData& span) {
  if (stopping_.load(std::memory_order_relaxed) || InQueue() >= config_.max_queue_size) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Per thread, so concurrent OnEnd calls share nothing; it keeps its capacity.
  thread_local std::string encoded;
  encoded.clear();
  exporter_->Encode(span, encoded);
  if (!ring_.TryWrite(encoded)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queued_.fetch_add(1, std::memory_order_release);
  // The worker polls the ring every kPoll; a request thread only wakes it (a futex call and a
  // context switch on its core) when half the queue is used.
  if (InQueue() >= wake_spans_ && worker_waiting_.exchange(false, std::memory_order_acq_rel)) {
    wake_.notify_one();
  }
}

std::size_t BatchSpanProcessor::Take() {
  if (batch_spans_ >= config_.max_export_batch_size) return 0;
  const std::size_t n = ring_.Drain(
      [this](std::string_view span) {
        batch_.append(span);
        return true;
      },
      config_.max_export_batch_size - batch_spans_);
  batch_spans_ += n;
  taken_.fetch_add(n, std::memory_order_relaxed);
  return n;
}

std::size_t BatchSpanProcessor::Send(SteadyClock::time_point deadline) {
  const std::size_t n = batch_spans_;
  if (n == 0) return 0;
  const ExportResult r = exporter_->Send(batch_, n, deadline);
  (r == ExportResult::kSuccess ? exported_ : failed_).fetch_add(n, std::memory_order_relaxed);
  processed_.fetch_add(n, std::memory_order_release);
  batch_.clear();  // keeps its capacity for the next request
  batch_spans_ = 0;
  std::lock_guard<std::mutex> lock(mu_);
  progress_.notify_all();
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
      wake_.wait_until(lock, std::min(next_timer, SteadyClock::now() + kPoll), [&] {
        return stopping_.load() || InQueue() >= wake_spans_ ||
               flush_requested_.load() != flushes_seen;
      });
      worker_waiting_.store(false, std::memory_order_release);
      flush = flush_requested_.load() != flushes_seen;
      flushes_seen = flush_requested_.load();
    }
    if (stopping_.load()) break;
    // Full batches go out as soon as they are there, so a busy service sends few large
    // requests; when the schedule delay has elapsed (or on ForceFlush) the rest goes too.
    while (!stopping_.load()) {
      Take();
      if (batch_spans_ < config_.max_export_batch_size) break;
      Send(SteadyClock::now() + config_.export_timeout);
    }
    if (flush || SteadyClock::now() >= next_timer) {
      Send(SteadyClock::now() + config_.export_timeout);
      next_timer = SteadyClock::now() + config_.schedule_delay;
    }
  }
  // Final flush, bounded by the shutdown deadline.
  while (SteadyClock::now() < shutdown_deadline_) {
    const std::size_t n = Take();
    if (batch_spans_ >= config_.max_export_batch_size || (n == 0 && batch_spans_ > 0))
      Send(std::min(shutdown_deadline_, SteadyClock::now() + config_.export_timeout));
    if (n == 0) break;
  }
  // Whatever could not be sent in time is dropped (and counted).
  std::uint64_t lost = batch_spans_;
  batch_.clear();
  batch_spans_ = 0;
  lost += ring_.Drain([](std::string_view) { return true; }, SIZE_MAX);
  dropped_.fetch_add(lost, std::memory_order_relaxed);
  processed_.fetch_add(lost, std::memory_order_release);
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
  std::atomic<bool> done{false};
  std::thread watchdog([this, &done] {
    std::unique_lock<std::mutex> lock(mu_);
    if (!progress_.wait_until(lock, shutdown_deadline_, [&] { return done.load(); }))
      exporter_->Shutdown();
  });
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
  // A span is counted as queued just after it is in the ring, so the worker may have exported
  // it a moment before: the difference is clamped at zero.
  const std::uint64_t processed = processed_.load();
  const std::uint64_t queued = queued_.load();
  return BatchStats{queued, dropped_.load(), exported_.load(), failed_.load(),
                    queued > processed ? queued - processed : 0};
}

}  // namespace astraguard::obs
