#include "astraguard/resilience/circuit_breaker.hpp"

#include <utility>

namespace astraguard::resilience {

std::string_view BreakerStateName(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(std::string name, const BreakerOptions& options,
                               const Clock& clock, prometheus::Registry& registry)
    : name_(std::move(name)), options_(options), clock_(clock) {
  state_gauge_ = &prometheus::BuildGauge()
                      .Name("astra_circuit_breaker_state")
                      .Help("Circuit breaker state (0 closed, 1 open, 2 half-open)")
                      .Register(registry)
                      .Add({{"name", name_}});
  auto& transitions = prometheus::BuildCounter()
                          .Name("astra_circuit_breaker_transitions_total")
                          .Help("Circuit breaker state transitions")
                          .Register(registry);
  constexpr std::pair<BreakerState, BreakerState> kLegal[] = {
      {BreakerState::kClosed, BreakerState::kOpen},
      {BreakerState::kOpen, BreakerState::kHalfOpen},
      {BreakerState::kHalfOpen, BreakerState::kClosed},
      {BreakerState::kHalfOpen, BreakerState::kOpen}};
  for (const auto& [from, to] : kLegal)
    transitions_[static_cast<int>(from)][static_cast<int>(to)] =
        &transitions.Add({{"name", name_},
                          {"from_state", std::string(BreakerStateName(from))},
                          {"to_state", std::string(BreakerStateName(to))}});
  state_gauge_->Set(0);
  since_unix_ms_ = UnixMillis(clock_.WallNow());
}

void CircuitBreaker::TransitionLocked(BreakerState to) {
  transitions_[static_cast<int>(state_)][static_cast<int>(to)]->Increment();
  state_ = to;
  state_gauge_->Set(static_cast<double>(static_cast<int>(to)));
  since_unix_ms_ = UnixMillis(clock_.WallNow());
  consecutive_failures_ = 0;
  half_open_admitted_ = 0;
  half_open_successes_ = 0;
  if (to == BreakerState::kOpen) opened_at_ = clock_.Now();
}

bool CircuitBreaker::Allow() {
  std::lock_guard lock(mu_);
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      if (clock_.Now() - opened_at_ < options_.open_timeout) return false;
      TransitionLocked(BreakerState::kHalfOpen);
      [[fallthrough]];
    case BreakerState::kHalfOpen:
      if (half_open_admitted_ >= options_.success_threshold) return false;
      ++half_open_admitted_;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mu_);
  if (state_ == BreakerState::kClosed) {
    consecutive_failures_ = 0;
  } else if (state_ == BreakerState::kHalfOpen) {
    if (++half_open_successes_ >= options_.success_threshold)
      TransitionLocked(BreakerState::kClosed);
  }
  // A success reported while OPEN (a call admitted before it opened) changes nothing.
}

void CircuitBreaker::RecordFailure(std::string_view error) {
  std::lock_guard lock(mu_);
  if (!error.empty()) last_error_.assign(error);
  if (state_ == BreakerState::kClosed) {
    if (++consecutive_failures_ >= options_.failure_threshold)
      TransitionLocked(BreakerState::kOpen);
  } else if (state_ == BreakerState::kHalfOpen) {
    TransitionLocked(BreakerState::kOpen);
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string CircuitBreaker::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

std::int64_t CircuitBreaker::since_unix_ms() const {
  std::lock_guard lock(mu_);
  return since_unix_ms_;
}

}  // namespace astraguard::resilience
