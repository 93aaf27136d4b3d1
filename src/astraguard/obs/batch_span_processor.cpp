#include "astraguard/obs/batch_span_processor.hpp"

#include <pthread.h>

#include <algorithm>

namespace astraguard::obs {

using SteadyClock = std::chrono::steady_clock;

void SpanExporter::Stage(const SpanBatch& spans) {
  for (const auto& s : spans) staged_.push_back(std::make_unique<SpanData>(*s));
}

ExportResult SpanExporter::SendStaged(SteadyClock::time_point deadline) {
  if (staged_.empty()) return ExportResult::kSuccess;
  const ExportResult r = Export(staged_, deadline);
  staged_.clear();
  return r;
}

BatchSpanProcessor::BatchSpanProcessor(const BatchConfig& config,
                                       std::unique_ptr<SpanExporter> exporter)
    : config_(config),
      chunk_size_(std::min<std::size_t>(128, std::max<std::size_t>(1, config.max_export_batch_size))),
      wake_spans_(std::max<std::size_t>(chunk_size_, config.max_queue_size / 2)),
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
  // The worker polls the queue every kStagePoll; a request thread only wakes it (a futex call
  // and a context switch on its core) when the queue is half full.
  if (queue_.SizeApprox() >= wake_spans_ &&
      worker_waiting_.exchange(false, std::memory_order_acq_rel)) {
    wake_.notify_one();
  }
}

std::unique_ptr<SpanData> BatchSpanProcessor::NewSpanData() {
  if (auto s = free_.TryPop()) return std::move(*s);
  return std::make_unique<SpanData>();
}

std::size_t BatchSpanProcessor::StageOnce() {
  const std::size_t room = std::max<std::size_t>(1, config_.max_export_batch_size - staged_);
  const std::size_t want = std::min(chunk_size_, room);
  chunk_.clear();
  while (chunk_.size() < want) {
    auto s = queue_.TryPop();
    if (!s) break;
    chunk_.push_back(std::move(*s));
  }
  if (chunk_.empty()) return 0;
  exporter_->Stage(chunk_);
  staged_ += chunk_.size();
  for (auto& s : chunk_) {
    if (s->attributes.capacity_bytes() <= 16 * 1024) (void)free_.TryPush(s);  // else freed here
  }
  return chunk_.size();
}

std::size_t BatchSpanProcessor::SendStaged(SteadyClock::time_point deadline) {
  if (staged_ == 0) return 0;
  const ExportResult r = exporter_->SendStaged(deadline);
  if (r == ExportResult::kSuccess)
    exported_.fetch_add(staged_, std::memory_order_relaxed);
  else
    failed_.fetch_add(staged_, std::memory_order_relaxed);
  processed_.fetch_add(staged_, std::memory_order_release);
  const std::size_t n = staged_;
  staged_ = 0;
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
      wake_.wait_until(lock, std::min(next_timer, SteadyClock::now() + kStagePoll), [&] {
        return stopping_.load() || queue_.SizeApprox() >= wake_spans_ ||
               flush_requested_.load() != flushes_seen;
      });
      worker_waiting_.store(false, std::memory_order_release);
      flush = flush_requested_.load() != flushes_seen;
      flushes_seen = flush_requested_.load();
    }
    if (stopping_.load()) break;
    // Schedule delay elapsed (or ForceFlush): everything queued goes out now. Otherwise only
    // whole chunks are staged and only full batches sent, so a busy service sends few large
    // requests.
    const bool everything = flush || SteadyClock::now() >= next_timer;
    while (!stopping_.load() && (everything || queue_.SizeApprox() >= chunk_size_)) {
      if (StageOnce() == 0) break;
      if (staged_ >= config_.max_export_batch_size)
        SendStaged(SteadyClock::now() + config_.export_timeout);
    }
    if (everything) {
      SendStaged(SteadyClock::now() + config_.export_timeout);
      next_timer = SteadyClock::now() + config_.schedule_delay;
    }
  }
  // Final flush, bounded by the shutdown deadline.
  while (SteadyClock::now() < shutdown_deadline_) {
    const std::size_t n = StageOnce();
    if (staged_ >= config_.max_export_batch_size || (n == 0 && staged_ > 0))
      SendStaged(std::min(shutdown_deadline_, SteadyClock::now() + config_.export_timeout));
    if (n == 0) break;
  }
  // Whatever could not be sent in time is dropped (and counted).
  dropped_.fetch_add(staged_, std::memory_order_relaxed);
  processed_.fetch_add(staged_, std::memory_order_release);
  staged_ = 0;
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
