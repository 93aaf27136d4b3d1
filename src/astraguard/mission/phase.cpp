#include "astraguard/mission/phase.hpp"

#include <optional>

namespace astraguard::mission {

std::vector<Phase> AllowedTargets(Phase from) {
  std::vector<Phase> out;
  for (Phase p : kAllPhases)
    if (IsAllowedTransition(from, p)) out.push_back(p);
  return out;
}

namespace {

storage::PhaseEntry ToEntry(const PhaseChange& c) {
  return {std::string(PhaseName(c.from)), std::string(PhaseName(c.to)), c.at_ms, c.forced,
          c.automatic, c.reason};
}

std::optional<PhaseChange> FromEntry(const storage::PhaseEntry& e) {
  auto from = ParsePhase(e.from);
  auto to = ParsePhase(e.to);
  if (!from || !to) return std::nullopt;
  return PhaseChange{*from, *to, e.at_ms, e.forced, e.automatic, e.reason};
}

}  // namespace

PhaseMachine::PhaseMachine(const Clock& clock, Phase initial, size_t history_limit,
                           storage::PhaseStore* shared, std::chrono::milliseconds refresh)
    : clock_(clock),
      history_limit_(history_limit < 1 ? 1 : history_limit),
      shared_(shared),
      refresh_(refresh),
      current_(initial) {
  history_.push_back({initial, initial, UnixMillis(clock_.WallNow()), false, false, "initial"});
  if (shared_) {
    std::lock_guard lock(mu_);
    if (shared_->Initialize(ToEntry(history_.front())).ok()) SyncLocked();
  }
}

void PhaseMachine::MaybeRefresh() const {
  const int64_t now = clock_.Now().time_since_epoch().count();
  int64_t due = next_refresh_ns_.load(std::memory_order_relaxed);
  if (now < due) return;
  const int64_t next =
      now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(refresh_).count();
  if (!next_refresh_ns_.compare_exchange_strong(due, next, std::memory_order_relaxed)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (lock.owns_lock()) SyncLocked();
}

void PhaseMachine::SyncLocked() const {
  while (!unsynced_.empty()) {
    if (!shared_->Append(ToEntry(unsynced_.front()), /*unconditional=*/true, history_limit_).ok()) {
      return;
    }
    unsynced_.pop_front();
  }
  auto h = shared_->History(history_limit_);
  if (!h.ok() || h->empty()) return;
  std::deque<PhaseChange> adopted;
  for (const auto& e : *h) {
    if (auto c = FromEntry(e)) adopted.push_back(std::move(*c));
  }
  if (adopted.empty()) return;
  history_ = std::move(adopted);
  current_.store(history_.back().to, std::memory_order_release);
}

Result<PhaseChangeResult> PhaseMachine::Transition(Phase to, bool force, bool automatic,
                                                   std::string reason) {
  std::lock_guard lock(mu_);
  if (shared_) SyncLocked();
  const Phase from = current_.load(std::memory_order_relaxed);
  PhaseChangeResult res;
  res.change = {from, to, UnixMillis(clock_.WallNow()), force, automatic, std::move(reason)};
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
  if (shared_ && unsynced_.empty()) {
    auto appended = shared_->Append(ToEntry(res.change), /*unconditional=*/false, history_limit_);
    if (appended.ok() && !*appended) {
      SyncLocked();  // another instance moved the phase between our sync and our append
      return Status::Error(Code::kConflict,
                           "the phase was changed concurrently by another instance; retry",
                           {{"phase", "changed concurrently"}});
    }
    if (!appended.ok()) unsynced_.push_back(res.change);
  } else if (shared_) {
    unsynced_.push_back(res.change);
  }
  res.changed = true;
  current_.store(to, std::memory_order_release);
  changes_total_.fetch_add(1, std::memory_order_relaxed);
  history_.push_back(res.change);
  while (history_.size() > history_limit_) history_.pop_front();
  return res;
}

std::vector<PhaseChange> PhaseMachine::History() const {
  std::lock_guard lock(mu_);
  if (shared_) SyncLocked();
  return {history_.begin(), history_.end()};
}

}  // namespace astraguard::mission
