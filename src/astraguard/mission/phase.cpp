#include "astraguard/mission/phase.hpp"

namespace astraguard::mission {

int64_t ToUnixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::vector<Phase> AllowedTargets(Phase from) {
  std::vector<Phase> out;
  for (Phase p : kAllPhases)
    if (IsAllowedTransition(from, p)) out.push_back(p);
  return out;
}

PhaseMachine::PhaseMachine(const Clock& clock, Phase initial, size_t history_limit)
    : clock_(clock), history_limit_(history_limit < 1 ? 1 : history_limit), current_(initial) {
  history_.push_back({initial, initial, ToUnixMs(clock_.WallNow()), false, false, "initial"});
}

Result<PhaseChangeResult> PhaseMachine::Transition(Phase to, bool force, bool automatic,
                                                   std::string reason) {
  std::lock_guard lock(mu_);
  const Phase from = current_.load(std::memory_order_relaxed);
  PhaseChangeResult res;
  res.change = {from, to, ToUnixMs(clock_.WallNow()), force, automatic, std::move(reason)};
  if (from == to) return res;
  if (!IsAllowedTransition(from, to) && !force) {
    std::string allowed;
    for (Phase p : AllowedTargets(from))
      allowed += (allowed.empty() ? "" : ", ") + std::string(PhaseName(p));
    return Status::Error(
        Code::kConflict,
        "invalid phase transition " + std::string(PhaseName(from)) + " -> " +
            std::string(PhaseName(to)) + " (allowed: " + allowed + "; set force=true to override)",
        {{"phase", "transition from " + std::string(PhaseName(from)) + " not allowed"}});
  }
  res.change.forced = force && !IsAllowedTransition(from, to);
  res.changed = true;
  current_.store(to, std::memory_order_release);
  changes_total_.fetch_add(1, std::memory_order_relaxed);
  history_.push_back(res.change);
  while (history_.size() > history_limit_) history_.pop_front();
  return res;
}

std::vector<PhaseChange> PhaseMachine::History() const {
  std::lock_guard lock(mu_);
  return {history_.begin(), history_.end()};
}

}  // namespace astraguard::mission
