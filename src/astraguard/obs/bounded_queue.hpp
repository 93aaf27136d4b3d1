#pragma once
// BoundedQueue<T>: a fixed-capacity multi-producer/multi-consumer queue that never blocks.
//
// Why: request threads hand log lines and finished spans to background writer threads. A full
// queue must cost the producer one failed TryPush (the caller counts the drop), never a wait.
// Algorithm: D. Vyukov's bounded MPMC array queue (one sequence number per cell, CAS on the
// enqueue/dequeue positions); no mutex, no allocation after construction.
// Thread-safety: TryPush and TryPop may be called concurrently from any number of threads.

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace astraguard::obs {

template <typename T>
class BoundedQueue final {
 public:
  // `capacity` is rounded up to a power of two (minimum 2).
  explicit BoundedQueue(std::size_t capacity) {
    std::size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    cells_ = std::make_unique<Cell[]>(cap);
    for (std::size_t i = 0; i < cap; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  std::size_t capacity() const { return mask_ + 1; }

  // Moves `value` in and returns true, or returns false (value untouched) when full.
  bool TryPush(T& value) {
    Cell* cell;
    std::size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      cell = &cells_[pos & mask_];
      std::size_t seq = cell->seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
    cell->value = std::move(value);
    cell->seq.store(pos + 1, std::memory_order_release);
    return true;
  }
  bool TryPush(T&& value) { return TryPush(value); }

  std::optional<T> TryPop() {
    Cell* cell;
    std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      cell = &cells_[pos & mask_];
      std::size_t seq = cell->seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return std::nullopt;
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
    std::optional<T> out(std::move(cell->value));
    cell->value = T();
    cell->seq.store(pos + mask_ + 1, std::memory_order_release);
    return out;
  }

  // Approximate number of queued items (exact when no push/pop is in flight).
  std::size_t SizeApprox() const {
    std::size_t e = enqueue_pos_.load(std::memory_order_relaxed);
    std::size_t d = dequeue_pos_.load(std::memory_order_relaxed);
    return e >= d ? e - d : 0;
  }

 private:
  struct Cell {
    std::atomic<std::size_t> seq{0};
    T value{};
  };
  static constexpr std::size_t kLine = 64;
  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_ = 0;
  alignas(kLine) std::atomic<std::size_t> enqueue_pos_{0};
  alignas(kLine) std::atomic<std::size_t> dequeue_pos_{0};
};

}  // namespace astraguard::obs
