#include "astraguard/mission/recovery.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace astraguard::mission {

RecoveryOrchestrator::RecoveryOrchestrator(const PolicySet& policy, PhaseMachine& phases,
                                           const Clock& clock, MissionMetrics& metrics,
                                           size_t log_limit, size_t max_satellites,
                                           storage::CooldownStore* cooldowns)
    : policy_(policy),
      phases_(phases),
      clock_(clock),
      metrics_(metrics),
      log_limit_(log_limit < 1 ? 1 : log_limit),
      max_satellites_(max_satellites),
      cooldowns_(cooldowns) {}

RecoveryOutcome RecoveryOrchestrator::Handle(std::string_view satellite_id, FaultType type,
                                             double anomaly_score, double confidence) {
  const auto now = clock_.Now();
  const auto window = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(policy_.global.recurrence_window_s));
  RecoveryOutcome out;
  out.phase = phases_.current();

  Shard& shard = shards_[std::hash<std::string_view>{}(satellite_id) % kShards];
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.sats.find(std::string(satellite_id));
    SatState untracked;  // beyond the satellite cap: no recurrence or cooldown memory
    SatState* stp = &untracked;
    if (it != shard.sats.end()) {
      stp = &it->second;
    } else if (tracked_.load(std::memory_order_relaxed) < max_satellites_) {
      tracked_.fetch_add(1, std::memory_order_relaxed);
      stp = &shard.sats.emplace(std::string(satellite_id), SatState{}).first->second;
    } else {
      untracked_total_.fetch_add(1, std::memory_order_relaxed);
    }
    SatState& st = *stp;
    while (!st.episodes.empty() && now - st.episodes.front().last > window) {
      st.episodes.pop_front();
    }
    const auto gap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(policy_.global.episode_gap_s));
    Episode* current = nullptr;
    for (auto e = st.episodes.rbegin(); e != st.episodes.rend(); ++e) {
      if (e->type == type) {
        if (now - e->last <= gap) current = &*e;
        break;
      }
    }
    if (current) {
      current->last = now;
    } else {
      st.episodes.push_back({type, now, now});
      while (st.episodes.size() > kMaxRecentPerSatellite) st.episodes.pop_front();
      current = &st.episodes.back();
    }
    int count = 0;
    for (const auto& e : st.episodes) count += e.type == type;
    out.recurrence = count;
    out.episode_age_s = std::chrono::duration<double>(now - current->start).count();

    out.decision = Decide(policy_, out.phase, type, anomaly_score, confidence, out.recurrence,
                          out.episode_age_s);
    const Action a = out.decision.action;
    auto& last = st.last_action[static_cast<int>(a)];
    const double cooldown_s = policy_.global.CooldownFor(a);
    const double since_s = last ? std::chrono::duration<double>(now - *last).count() : 1e300;
    if (cooldown_s > 0 && since_s < cooldown_s) {
      out.status = ActionStatus::kSuppressed;
      out.cooldown_remaining_s = cooldown_s - since_s;
    } else {
      last = now;
    }
  }

  if (const double cooldown_s = policy_.global.CooldownFor(out.decision.action);
      cooldowns_ && cooldown_s > 0) {
    const int64_t now_ms = UnixMillis(clock_.WallNow());
    auto claim = cooldowns_->Claim(satellite_id, ActionName(out.decision.action), now_ms,
                                   static_cast<int64_t>(std::ceil(cooldown_s * 1000)));
    if (claim.ok()) {  // the shared verdict wins over this instance's own memory
      out.status = *claim ? ActionStatus::kSuppressed : ActionStatus::kRecommended;
      out.cooldown_remaining_s =
          *claim ? std::max(0.0, cooldown_s - static_cast<double>(now_ms - **claim) / 1000) : 0.0;
    }
  }

  std::string detail = out.decision.reasoning;
  if (out.status == ActionStatus::kSuppressed) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " | suppressed: cooldown %.0f s remaining",
                  out.cooldown_remaining_s);
    detail += buf;
  } else if (out.decision.action == Action::kEnterSafeMode && policy_.global.auto_safe_mode) {
    if (out.phase == Phase::kSafeMode) {
      out.status = ActionStatus::kExecuted;
      detail += " | already in SAFE_MODE";
    } else {
      auto res =
          phases_.Transition(Phase::kSafeMode, /*force=*/false, /*automatic=*/true,
                             "auto_safe_mode: satellite " + std::string(satellite_id) + " " +
                                 std::string(FaultTypeName(type)) + "; " + out.decision.reasoning);
      if (res.ok()) {
        out.status = ActionStatus::kExecuted;
        if (res->changed) {
          out.phase_change = res->change;
          metrics_.transitions_automatic().Increment();
          metrics_.SetPhase(Phase::kSafeMode);
        }
        detail += " | phase changed to SAFE_MODE (reverse with POST /api/v1/phase)";
      } else {
        out.status = ActionStatus::kFailed;
        detail += " | phase change failed: " + res.status().message();
      }
    }
  } else if (out.decision.action == Action::kEnterSafeMode) {
    detail += " | recommendation only (auto_safe_mode is off): phase unchanged";
  }
  metrics_.ActionCounter(out.decision.action, out.status).Increment();

  ActionRecord rec;
  rec.at_ms = UnixMillis(clock_.WallNow());
  rec.satellite_id = std::string(satellite_id);
  rec.type = type;
  rec.severity = out.decision.severity;
  rec.phase = out.phase;
  rec.action = out.decision.action;
  rec.status = out.status;
  rec.escalated = out.decision.escalated;
  rec.recurrence = out.recurrence;
  rec.detail = std::move(detail);
  std::lock_guard lock(log_mu_);
  rec.seq = next_seq_++;
  out.action_seq = rec.seq;
  log_.push_back(std::move(rec));
  while (log_.size() > log_limit_) log_.pop_front();
  return out;
}

void RecoveryOrchestrator::LinkAnomaly(uint64_t seq, std::string_view anomaly_id) {
  std::lock_guard lock(log_mu_);
  if (log_.empty() || seq < log_.front().seq || seq > log_.back().seq) return;
  log_[seq - log_.front().seq].anomaly_id = std::string(anomaly_id);
}

std::optional<ActionRecord> RecoveryOrchestrator::Get(uint64_t seq) const {
  std::lock_guard lock(log_mu_);
  if (log_.empty() || seq < log_.front().seq || seq > log_.back().seq) return std::nullopt;
  return log_[seq - log_.front().seq];
}

std::vector<ActionRecord> RecoveryOrchestrator::Recent(
    size_t limit, std::optional<std::string_view> satellite) const {
  std::vector<ActionRecord> out;
  std::lock_guard lock(log_mu_);
  for (auto it = log_.rbegin(); it != log_.rend() && out.size() < limit; ++it) {
    if (satellite && it->satellite_id != *satellite) continue;
    out.push_back(*it);
  }
  return out;
}

uint64_t RecoveryOrchestrator::decisions_total() const {
  std::lock_guard lock(log_mu_);
  return next_seq_ - 1;
}

}  // namespace astraguard::mission
