#pragma once
// CircuitBreaker: stops calling a failing dependency for a while so that callers fail fast and
// the dependency gets room to recover (the classic CLOSED / OPEN / HALF_OPEN machine).
//
//   CLOSED     calls pass; `failure_threshold` consecutive failures open the breaker.
//   OPEN       calls are refused until `open_timeout` has passed, then the breaker half-opens.
//   HALF_OPEN  up to `success_threshold` trial calls pass; that many successes close the
//              breaker, any failure opens it again.
//
// Each breaker is named; its metrics (resolved once in the constructor, all label sets present
// at zero from the start):
//   astra_circuit_breaker_state{name}                          gauge 0 closed, 1 open, 2 half-open
//   astra_circuit_breaker_transitions_total{name,from_state,to_state}  counter
//
// Usage: `if (!breaker.Allow()) fail fast; ...call...; RecordSuccess() or RecordFailure(err)`.
// Every Allow() that returned true must be followed by exactly one Record*.
// Thread-safe: all methods may be called concurrently; state sits behind one small mutex held
// for a few comparisons (uncontended it costs ~20 ns; no allocation unless an error text is
// recorded). Lifetime: the clock and the registry must outlive the breaker.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "astraguard/common/clock.hpp"

namespace astraguard::resilience {

struct BreakerOptions {
  int failure_threshold = 5;                     // consecutive failures that open it
  int success_threshold = 2;                     // half-open successes that close it
  std::chrono::milliseconds open_timeout{60'000};  // time spent open before a trial (ms)
};

enum class BreakerState { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
std::string_view BreakerStateName(BreakerState s);  // "closed", "open", "half_open"

class CircuitBreaker final {
 public:
  CircuitBreaker(std::string name, const BreakerOptions& options, const Clock& clock,
                 prometheus::Registry& registry);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // True when the call may go ahead (moves OPEN -> HALF_OPEN once the timeout has passed).
  [[nodiscard]] bool Allow();
  void RecordSuccess();
  void RecordFailure(std::string_view error = {});

  BreakerState state() const;
  const std::string& name() const { return name_; }
  // What the last failure said ("" before any), and when the current state began (Unix ms).
  std::string last_error() const;
  std::int64_t since_unix_ms() const;

 private:
  void TransitionLocked(BreakerState to);

  const std::string name_;
  const BreakerOptions options_;
  const Clock& clock_;
  prometheus::Gauge* state_gauge_ = nullptr;
  // [from][to], only the four legal transitions are non-null.
  std::array<std::array<prometheus::Counter*, 3>, 3> transitions_{};

  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  int consecutive_failures_ = 0;
  int half_open_admitted_ = 0;
  int half_open_successes_ = 0;
  std::chrono::steady_clock::time_point opened_at_{};
  std::int64_t since_unix_ms_ = 0;
  std::string last_error_;
};

}  // namespace astraguard::resilience
