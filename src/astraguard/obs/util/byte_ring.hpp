#pragma once
// ByteRing: a bounded ring of variable-length byte records, many producers, one consumer.
//
// Why: request threads hand finished log lines and encoded spans to one background thread each.
// A record is copied into the ring right after the previous one, so a producer writes one short
// run of consecutive cache lines and the consumer reads them in the same order: no per-record
// buffers, pointers or pools whose scattered memory would be cold by the time it is reused. A
// full ring costs the producer one failed TryWrite (the caller counts the drop), never a wait.
// Algorithm: producers reserve space by compare-and-swap on the write position, copy the record
// in and publish it by storing its header last (release); the consumer reads headers in order
// (acquire), stops at the first record still being written, and zeroes what it consumed before
// giving the space back. A record that would straddle the end of the buffer is preceded by a
// padding record and starts at offset 0. Records are 8-byte aligned behind an 8-byte header.
// Thread-safety: TryWrite may be called concurrently from any number of threads; Drain and
// Empty from one consumer thread at a time; BytesUsed from anywhere.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace astraguard::obs {

class ByteRing final {
 public:
  // `capacity` bytes, rounded up to a power of two (minimum 4 KiB).
  explicit ByteRing(std::size_t capacity) {
    std::size_t cap = 4096;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    words_ = std::make_unique<std::uint64_t[]>(cap / 8);  // zeroed: no record committed
  }
  ByteRing(const ByteRing&) = delete;
  ByteRing& operator=(const ByteRing&) = delete;

  std::size_t capacity() const { return mask_ + 1; }
  // The longest record TryWrite accepts: a quarter of the capacity.
  std::size_t max_record() const { return capacity() / 4; }

  // Copies `record` in and returns true, or returns false (nothing written) when the ring has
  // no room or the record is longer than max_record().
  bool TryWrite(std::string_view record) {
    if (record.size() > max_record()) return false;
    const std::size_t need = kHeader + RoundUp(record.size());
    std::size_t head = head_.load(std::memory_order_relaxed);
    std::size_t offset, pad;
    for (;;) {
      offset = head & mask_;
      pad = need <= capacity() - offset ? 0 : capacity() - offset;
      const std::size_t tail = tail_.load(std::memory_order_acquire);
      if (tail > head) {  // `head` is stale: others wrote and the consumer took it since
        head = head_.load(std::memory_order_relaxed);
        continue;
      }
      if (head + pad + need - tail > capacity()) return false;
      if (head_.compare_exchange_weak(head, head + pad + need, std::memory_order_relaxed)) break;
    }
    if (pad > 0) {
      Header(offset).store(pad << 2 | kPadding | kCommitted, std::memory_order_release);
      offset = 0;
    }
    std::memcpy(Bytes() + offset + kHeader, record.data(), record.size());
    Header(offset).store(record.size() << 2 | kCommitted, std::memory_order_release);
    return true;
  }

  // Consumer: calls `fn(std::string_view record)` for the committed records in order, up to
  // `max_records` of them, stopping early at a record still being written or when `fn` returns
  // false (that record is then consumed too). Returns the number of records passed to `fn`.
  template <typename Fn>
  std::size_t Drain(Fn&& fn, std::size_t max_records) {
    std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t start = tail;
    std::size_t n = 0;
    bool more = true;
    // Stops after one turn of the ring: the bytes consumed in this call are only zeroed at its
    // end, so the header a turn ahead would be a consumed one.
    while (more && n < max_records && tail - start < capacity()) {
      const std::size_t offset = tail & mask_;
      const std::uint64_t h = Header(offset).load(std::memory_order_acquire);
      if ((h & kCommitted) == 0) break;
      const std::size_t len = static_cast<std::size_t>(h >> 2);
      if ((h & kPadding) != 0) {
        tail += len;
        continue;
      }
      more = fn(std::string_view(Bytes() + offset + kHeader, len));
      ++n;
      tail += kHeader + RoundUp(len);
    }
    Release(start, tail);
    return n;
  }

  // Consumer: true when no record is committed or being written.
  bool Empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_relaxed);
  }
  // Bytes reserved by producers and not yet consumed (approximate while they are active).
  std::size_t BytesUsed() const {
    const std::size_t h = head_.load(std::memory_order_relaxed);
    const std::size_t t = tail_.load(std::memory_order_relaxed);
    return h >= t ? h - t : 0;
  }

 private:
  static constexpr std::size_t kHeader = 8;
  static constexpr std::uint64_t kCommitted = 1;
  static constexpr std::uint64_t kPadding = 2;
  static std::size_t RoundUp(std::size_t n) { return (n + 7) & ~std::size_t{7}; }
  char* Bytes() { return reinterpret_cast<char*>(words_.get()); }
  std::atomic_ref<std::uint64_t> Header(std::size_t offset) {
    return std::atomic_ref<std::uint64_t>(words_[offset / 8]);
  }
  // Zeroes [from, to) (ring positions) so that no stale byte reads as a committed header, then
  // hands the space back to the producers.
  void Release(std::size_t from, std::size_t to) {
    if (from == to) return;
    const std::size_t a = from & mask_;
    const std::size_t len = to - from;
    const std::size_t first = std::min(len, capacity() - a);
    std::memset(Bytes() + a, 0, first);
    std::memset(Bytes(), 0, len - first);
    tail_.store(to, std::memory_order_release);
  }

  std::unique_ptr<std::uint64_t[]> words_;
  std::size_t mask_ = 0;
  static constexpr std::size_t kLine = 64;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // next byte producers reserve
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // next byte the consumer reads
};

}  // namespace astraguard::obs
