#include "astraguard/obs/util/byte_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace astraguard::obs {
namespace {

std::vector<std::string> DrainAll(ByteRing& ring) {
  std::vector<std::string> out;
  ring.Drain(
      [&](std::string_view r) {
        out.emplace_back(r);
        return true;
      },
      SIZE_MAX);
  return out;
}

TEST(ByteRingTest, RecordsComeOutInOrderAndIntact) {
  ByteRing ring(4096);
  ASSERT_TRUE(ring.TryWrite("one"));
  ASSERT_TRUE(ring.TryWrite(""));
  ASSERT_TRUE(ring.TryWrite(std::string(100, 'x')));
  EXPECT_EQ(DrainAll(ring), (std::vector<std::string>{"one", "", std::string(100, 'x')}));
  EXPECT_TRUE(ring.Empty());
  EXPECT_EQ(ring.BytesUsed(), 0u);
}

TEST(ByteRingTest, FullRingRefusesWithoutOverwriting) {
  ByteRing ring(4096);
  const std::string rec(1000, 'a');  // 1008 bytes with its header
  int accepted = 0;
  while (ring.TryWrite(rec)) ++accepted;
  EXPECT_EQ(accepted, 4);
  EXPECT_FALSE(ring.TryWrite(rec));
  const auto out = DrainAll(ring);
  ASSERT_EQ(out.size(), 4u);
  for (const auto& r : out) EXPECT_EQ(r, rec);
  EXPECT_TRUE(ring.TryWrite(rec));  // consumed space is writable again
}

TEST(ByteRingTest, RefusesRecordsLongerThanAQuarter) {
  ByteRing ring(4096);
  EXPECT_EQ(ring.max_record(), 1024u);
  EXPECT_FALSE(ring.TryWrite(std::string(1025, 'a')));
  EXPECT_TRUE(ring.TryWrite(std::string(1024, 'a')));
}

TEST(ByteRingTest, WrapsAroundTheEndWithoutSplittingARecord) {
  ByteRing ring(4096);
  std::vector<std::string> expected;
  std::vector<std::string> got;
  // Record sizes that do not divide the capacity, so records keep meeting the end.
  for (int i = 0; i < 200; ++i) {
    std::string rec(static_cast<std::size_t>(300 + i % 37), static_cast<char>('a' + i % 26));
    rec += std::to_string(i);
    ASSERT_TRUE(ring.TryWrite(rec)) << i;
    expected.push_back(rec);
    if (i % 3 == 2) {
      for (auto& r : DrainAll(ring)) got.push_back(std::move(r));
    }
  }
  for (auto& r : DrainAll(ring)) got.push_back(std::move(r));
  EXPECT_EQ(got, expected);
}

TEST(ByteRingTest, DrainStopsAtMaxRecordsOrWhenTheCallbackSaysSo) {
  ByteRing ring(4096);
  for (const char* r : {"a", "b", "c", "d"}) ASSERT_TRUE(ring.TryWrite(r));
  std::string seen;
  auto take = [&](std::string_view r) {
    seen += r;
    return r != "b";
  };
  EXPECT_EQ(ring.Drain(take, 1), 1u);
  EXPECT_EQ(seen, "a");
  EXPECT_EQ(ring.Drain(take, 10), 1u);  // "b" is consumed, then the callback stops
  EXPECT_EQ(seen, "ab");
  EXPECT_EQ(DrainAll(ring), (std::vector<std::string>{"c", "d"}));
}

TEST(ByteRingTest, ConcurrentProducersLoseNothingTheyWereToldWasWritten) {
  ByteRing ring(1 << 14);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::atomic<bool> stop{false};  // set if the consumer finds a fault, so the test ends
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&ring, &stop, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // "t:i:" then filler whose length varies, so records straddle the end in every way.
        std::string rec = std::to_string(t) + ':' + std::to_string(i) + ':';
        rec.append(static_cast<std::size_t>(i % 61), static_cast<char>('A' + t));
        while (!ring.TryWrite(rec)) {
          if (stop.load()) return;
          std::this_thread::yield();
        }
      }
    });
  }
  std::vector<int> next(kThreads, 0);
  int total = 0;
  bool ok = true;
  while (total < kThreads * kPerThread && ok) {
    total += static_cast<int>(ring.Drain(
        [&](std::string_view r) {
          // Expected: "t:i:" + filler for the next i of producer t.
          const int t = r.empty() ? -1 : r[0] - '0';
          ok = t >= 0 && t < kThreads;
          if (ok) {
            std::string want = std::to_string(t);  // appended, not operator+: GCC 12's
            want += ':';                             // -Wrestrict misfires on the latter
            want += std::to_string(next[t]);
            want += ':';
            want.append(static_cast<std::size_t>(next[t] % 61), static_cast<char>('A' + t));
            ok = r == want;
            ++next[t];
          }
          return ok;
        },
        SIZE_MAX));
  }
  stop.store(true);
  for (auto& p : producers) p.join();
  EXPECT_TRUE(ok);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  EXPECT_TRUE(ring.Empty());
}

}  // namespace
}  // namespace astraguard::obs
