#pragma once
// BatchSpanProcessor: queues finished spans in a bounded lock-free queue and exports them in
// batches from its own thread, like the OpenTelemetry SDK's processor (OTEL_BSP_* settings).
// OnEnd never blocks: when the queue is full the span is dropped and counted.
// The worker looks at the queue every 10 ms (request threads wake it only when the queue is half
// full), moves spans to the exporter in chunks of up to 128 (SpanExporter::Stage) and hands
// their SpanData back for reuse at once; a request goes out when a full batch is staged, on the
// schedule delay, on ForceFlush and at shutdown.
// A failing exporter only costs the spans of that batch; callers never see it.
// Thread-safety: OnEnd/ForceFlush/Shutdown may be called concurrently. Owns its exporter.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "astraguard/obs/bounded_queue.hpp"
#include "astraguard/obs/tracer.hpp"

namespace astraguard::obs {

enum class ExportResult { kSuccess, kFailure };

// Sends batches somewhere. Stage, SendStaged and Export are only ever called from one thread at
// a time and must give up by `deadline`. Shutdown may be called from another thread to cut
// retries short.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Takes `spans` into the next request; the caller reuses their SpanData afterwards. The
  // default keeps copies for Export; exporters that encode here need not.
  virtual void Stage(const SpanBatch& spans);
  // Sends everything staged as one request and forgets it (kSuccess when nothing is staged).
  virtual ExportResult SendStaged(std::chrono::steady_clock::time_point deadline);
  // Sends one batch.
  virtual ExportResult Export(const SpanBatch& batch,
                              std::chrono::steady_clock::time_point deadline) = 0;
  virtual void Shutdown() {}

 private:
  SpanBatch staged_;  // for the default Stage/SendStaged
};

struct BatchConfig {
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT
  std::size_t max_queue_size = 2048;                // OTEL_BSP_MAX_QUEUE_SIZE
  std::size_t max_export_batch_size = 512;          // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
};

struct BatchStats {
  std::uint64_t queued = 0;         // spans accepted
  std::uint64_t dropped = 0;        // spans dropped because the queue was full / shut down
  std::uint64_t exported = 0;       // spans in batches the exporter accepted
  std::uint64_t export_failed = 0;  // spans in batches that failed
};

class BatchSpanProcessor final : public SpanProcessor {
 public:
  BatchSpanProcessor(const BatchConfig& config, std::unique_ptr<SpanExporter> exporter);
  ~BatchSpanProcessor() override;  // Shutdown(5 s) if not done

  void OnEnd(std::unique_ptr<SpanData> span) override;
  // Recycled SpanData from exported batches when available (no allocation, no cross-thread
  // free on the request path), else a new one.
  std::unique_ptr<SpanData> NewSpanData() override;
  bool ForceFlush(std::chrono::milliseconds timeout) override;
  void Shutdown(std::chrono::milliseconds timeout) override;

  BatchStats stats() const;

 private:
  void Worker();
  // Moves up to one chunk (never past a full batch) from the queue to the exporter and
  // recycles its SpanData; returns the number of spans moved.
  std::size_t StageOnce();
  // Sends what is staged and counts it; returns the number of spans it held.
  std::size_t SendStaged(std::chrono::steady_clock::time_point deadline);

  const BatchConfig config_;
  const std::size_t chunk_size_;  // min(128, max_export_batch_size)
  // Queued spans at which OnEnd wakes the worker: max(chunk_size_, max_queue_size / 2).
  const std::size_t wake_spans_;
  // Between wake-ups the worker looks at the queue this often and stages whole chunks.
  static constexpr std::chrono::milliseconds kStagePoll{10};
  std::unique_ptr<SpanExporter> exporter_;
  SpanBatch chunk_;         // worker only
  std::size_t staged_ = 0;  // worker only: spans staged in the exporter, not yet sent
  BoundedQueue<std::unique_ptr<SpanData>> queue_;
  BoundedQueue<std::unique_ptr<SpanData>> free_;  // staged spans, for reuse
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> processed_{0};  // exported + failed, for ForceFlush
  std::atomic<bool> worker_waiting_{false};  // a notify is only sent to a sleeping worker
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> flush_requested_{0};
  std::chrono::steady_clock::time_point shutdown_deadline_{};
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable progress_;
  std::thread worker_;
};

}  // namespace astraguard::obs
