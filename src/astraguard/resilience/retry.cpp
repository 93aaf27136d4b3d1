#include "astraguard/resilience/retry.hpp"

#include <algorithm>
#include <utility>

namespace astraguard::resilience {

std::chrono::milliseconds Backoff(const RetryOptions& options, int retry, std::mt19937_64& rng) {
  const std::int64_t cap = std::max<std::int64_t>(0, options.cap.count());
  std::int64_t ceiling = std::max<std::int64_t>(0, options.base.count());
  for (int i = 0; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<std::int64_t> dist(0, ceiling);
  return std::chrono::milliseconds(dist(rng));
}

RetryBudget::RetryBudget(const RetryBudgetOptions& options)
    : max_(static_cast<std::int64_t>(options.max_tokens * 1000)),
      ratio_(static_cast<std::int64_t>(options.token_ratio * 1000)),
      tokens_(max_) {}

void RetryBudget::AccountOk() {
  std::int64_t t = tokens_.load(std::memory_order_relaxed);
  while (t < max_ &&
         !tokens_.compare_exchange_weak(t, std::min(max_, t + ratio_), std::memory_order_relaxed)) {
  }
}

void RetryBudget::AccountFail() {
  std::int64_t t = tokens_.load(std::memory_order_relaxed);
  while (t > 0 && !tokens_.compare_exchange_weak(t, std::max<std::int64_t>(0, t - 1000),
                                                 std::memory_order_relaxed)) {
  }
}

bool RetryBudget::CanRetry() const { return tokens_.load(std::memory_order_relaxed) > max_ / 2; }

Retrier::Retrier(std::string endpoint, const RetryOptions& options, RetryBudget& budget,
                 const Clock& clock, prometheus::Registry& registry, std::uint64_t seed)
    : options_(options), budget_(budget), clock_(clock), rng_(seed) {
  auto& attempts = prometheus::BuildCounter()
                       .Name("astra_retry_attempts_total")
                       .Help("Retried calls by endpoint and outcome (success, retry, exhausted)")
                       .Register(registry);
  success_ = &attempts.Add({{"endpoint", endpoint}, {"outcome", "success"}});
  retry_ = &attempts.Add({{"endpoint", endpoint}, {"outcome", "retry"}});
  exhausted_ = &attempts.Add({{"endpoint", endpoint}, {"outcome", "exhausted"}});
  latency_ = &prometheus::BuildHistogram()
                  .Name("astra_retry_latency_seconds")
                  .Help("Time of a retried call, every attempt and wait included")
                  .Register(registry)
                  .Add({{"endpoint", std::move(endpoint)}},
                       prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.05, 0.1, 0.25, 0.5,
                                                               1, 2.5, 5, 10, 30});
}

std::chrono::milliseconds Retrier::NextWait(int retry, std::chrono::milliseconds hint) {
  std::chrono::milliseconds wait;
  {
    std::lock_guard lock(rng_mu_);
    wait = Backoff(options_, retry, rng_);
  }
  return std::min(std::max(wait, hint), options_.cap);
}

Status Retrier::Run(const std::function<AttemptResult()>& attempt, const Sleep& sleep) {
  const auto start = clock_.Now();
  auto finish = [&](prometheus::Counter& outcome, Status s) {
    outcome.Increment();
    latency_->Observe(std::chrono::duration<double>(clock_.Now() - start).count());
    return s;
  };
  for (int n = 1;; ++n) {
    AttemptResult r = attempt();
    if (r.status.ok()) {
      budget_.AccountOk();
      return finish(*success_, std::move(r.status));
    }
    budget_.AccountFail();
    if (!r.retryable || n >= options_.max_attempts || !budget_.CanRetry())
      return finish(*exhausted_, std::move(r.status));
    if (!sleep(NextWait(n - 1, r.retry_after))) return finish(*exhausted_, std::move(r.status));
    retry_->Increment();
  }
}

}  // namespace astraguard::resilience
