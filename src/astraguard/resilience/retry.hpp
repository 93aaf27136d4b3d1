#pragma once
// Retry with exponential backoff and full jitter, drawing on a RetryBudget so that retries
// cannot multiply the load on a dependency that is down.
//
// Backoff(): the wait before retry n (n = 0 before the second attempt) is uniform in
// [0, min(cap, base * 2^n)] ("full jitter", AWS architecture blog), pure for a given RNG.
//
// RetryBudget (as userver's utils::RetryBudget): a token bucket holding `max_tokens`; each
// successful attempt adds `token_ratio` tokens (up to the maximum), each failed attempt takes
// one; a retry is allowed only while more than half the tokens are left. In an outage every
// attempt fails, the bucket drains and callers stop retrying after max_tokens/2 failures; in
// steady state retries stay under about token_ratio of the calls.
// Thread-safe: lock-free (one atomic, compare-and-swap).
//
// Retrier: runs a callable up to `max_attempts` times, retrying only failures the callable
// marks retryable, honouring the server's Retry-After hint, while the budget allows. Metrics,
// resolved once in the constructor (label sets present at zero):
//   astra_retry_attempts_total{endpoint,outcome}  counter  outcome = success (the call
//       succeeded, at any attempt) | retry (a failed attempt followed by another) | exhausted
//       (gave up: attempts or budget used up, error not retryable, or the sleep interrupted)
//   astra_retry_latency_seconds{endpoint}         histogram  whole Run(), waits included
// Thread-safe: Run() may be called concurrently (the RNG sits behind a small mutex taken once
// per retry). Lifetime: the budget, clock and registry must outlive the Retrier.

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"

namespace astraguard::resilience {

struct RetryOptions {
  int max_attempts = 3;                 // attempts in all, the first included
  std::chrono::milliseconds base{500};  // backoff ceiling before the first retry (ms)
  std::chrono::milliseconds cap{8000};  // the longest wait between attempts (ms)
};

std::chrono::milliseconds Backoff(const RetryOptions& options, int retry, std::mt19937_64& rng);

struct RetryBudgetOptions {
  double max_tokens = 100;   // bucket size
  double token_ratio = 0.1;  // tokens a success gives back
};

class RetryBudget final {
 public:
  explicit RetryBudget(const RetryBudgetOptions& options = {});
  void AccountOk();
  void AccountFail();
  bool CanRetry() const;

 private:
  // Milli-tokens, so that the ratio stays exact in an integer.
  const std::int64_t max_;
  const std::int64_t ratio_;
  std::atomic<std::int64_t> tokens_;
};

// What one attempt returned.
struct AttemptResult {
  Status status;                             // ok, or why it failed
  bool retryable = false;                    // may another attempt succeed?
  std::chrono::milliseconds retry_after{0};  // the server's Retry-After hint (0 = none)
};

class Retrier final {
 public:
  // Waits `d`; returns false when interrupted (e.g. shutdown), which ends the retries.
  using Sleep = std::function<bool(std::chrono::milliseconds d)>;

  Retrier(std::string endpoint, const RetryOptions& options, RetryBudget& budget,
          const Clock& clock, prometheus::Registry& registry, std::uint64_t seed);

  // The status of the last attempt. The wait before a retry is the jittered backoff, or the
  // Retry-After hint when that is longer, never more than `cap`.
  Status Run(const std::function<AttemptResult()>& attempt, const Sleep& sleep);

 private:
  std::chrono::milliseconds NextWait(int retry, std::chrono::milliseconds hint);

  const RetryOptions options_;
  RetryBudget& budget_;
  const Clock& clock_;
  prometheus::Counter* success_ = nullptr;
  prometheus::Counter* retry_ = nullptr;
  prometheus::Counter* exhausted_ = nullptr;
  prometheus::Histogram* latency_ = nullptr;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace astraguard::resilience
