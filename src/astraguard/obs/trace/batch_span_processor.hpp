#pragma once
// BatchSpanProcessor: hands finished spans to an exporter thread and exports them in batches,
// like the OpenTelemetry SDK's processor (OTEL_BSP_* settings).
// OnEnd encodes the span on the thread that ended it, while its data is still in that core's
// cache (SpanExporter::Encode), and copies the bytes into a bounded ring (byte_ring.hpp); it
// never blocks: when the queue is full the span is dropped and counted. The worker looks at the
// ring every 10 ms (request threads wake it only when half the queue is used), appends the
// encoded spans to the next request and sends it when a full batch is there, on the schedule
// delay, on ForceFlush and at shutdown.
// A failing exporter only costs the spans of that batch; callers never see it.
// Thread-safety: OnEnd/ForceFlush/Shutdown may be called concurrently. Owns its exporter.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "astraguard/obs/util/byte_ring.hpp"
#include "astraguard/obs/trace/tracer.hpp"

namespace astraguard::obs {

enum class ExportResult { kSuccess, kFailure };

// Encodes spans and sends batches of them somewhere.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Appends `span`'s encoding to `out`. Called on the threads that end spans, concurrently:
  // must be thread-safe and must not block.
  virtual void Encode(const SpanData& span, std::string& out) const = 0;
  // Sends `spans` spans as one request; `encoded` is their Encode outputs, concatenated in
  // order. Called from one thread at a time; gives up by `deadline`. Shutdown may be called
  // from another thread to cut retries short.
  virtual ExportResult Send(std::string_view encoded, std::size_t spans,
                            std::chrono::steady_clock::time_point deadline) = 0;
  virtual void Shutdown() {}
};

struct BatchConfig {
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT
  std::size_t max_queue_size = 2048;                // OTEL_BSP_MAX_QUEUE_SIZE (spans)
  std::size_t max_export_batch_size = 512;          // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
};

struct BatchStats {
  std::uint64_t queued = 0;         // spans accepted
  std::uint64_t dropped = 0;        // spans dropped because the queue was full / shut down
  std::uint64_t exported = 0;       // spans in batches the exporter accepted
  std::uint64_t export_failed = 0;  // spans in batches that failed
  std::uint64_t in_queue = 0;       // spans queued and not yet exported, failed or dropped
};

class BatchSpanProcessor final : public SpanProcessor {
 public:
  // The ring has room for max_queue_size spans of kBytesPerSpan encoded bytes on average; a
  // span is also dropped when its bytes do not fit (or exceed a quarter of the ring).
  static constexpr std::size_t kBytesPerSpan = 512;

  BatchSpanProcessor(const BatchConfig& config, std::unique_ptr<SpanExporter> exporter);
  ~BatchSpanProcessor() override;  // Shutdown(5 s) if not done

  void OnEnd(const SpanData& span) override;
  bool ForceFlush(std::chrono::milliseconds timeout) override;
  void Shutdown(std::chrono::milliseconds timeout) override;

  BatchStats stats() const;

 private:
  void Worker();
  // Appends queued spans to the next request, up to a full batch; returns how many.
  std::size_t Take();
  // Sends the next request and counts its spans; returns how many it held.
  std::size_t Send(std::chrono::steady_clock::time_point deadline);
  std::size_t InQueue() const {
    return queued_.load(std::memory_order_acquire) - taken_.load(std::memory_order_relaxed);
  }

  const BatchConfig config_;
  // Queued spans at which OnEnd wakes the worker: half the queue.
  const std::size_t wake_spans_;
  // Between wake-ups the worker looks at the queue this often.
  static constexpr std::chrono::milliseconds kPoll{10};
  std::unique_ptr<SpanExporter> exporter_;
  ByteRing ring_;                         // encoded spans
  std::string batch_;                     // worker only: encoded spans of the next request
  std::size_t batch_spans_ = 0;           // worker only
  std::atomic<std::uint64_t> queued_{0};  // spans written to the ring
  std::atomic<std::uint64_t> taken_{0};   // spans the worker took from the ring
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> processed_{0};  // exported + failed + dropped after queueing
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
