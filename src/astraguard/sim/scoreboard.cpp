#include "astraguard/sim/scoreboard.hpp"

namespace astraguard::sim {

std::vector<ScoreEvent> Scoreboard::Observe(const Record& truth, const Verdict& verdict) {
  ++counts_.records;
  Satellite& s = satellites_[truth.satellite_id];
  std::vector<ScoreEvent> events;
  auto event = [&](ScoreEvent::Kind kind) -> ScoreEvent& {
    ScoreEvent& e = events.emplace_back();
    e.kind = kind;
    e.satellite_id = truth.satellite_id;
    e.fault = s.fault;
    e.channel = s.channel;
    return e;
  };

  // Episode boundaries: the label changes from one fault to nominal or to another fault.
  if (s.fault != FaultKind::kNone && truth.fault != s.fault) {
    if (!s.detected) {
      ++counts_.missed;
      ScoreEvent& e = event(ScoreEvent::Kind::kMissed);
      e.records = s.records;
      e.seconds = truth.t_s - s.start_t_s;
    }
    s.fault = FaultKind::kNone;
    s.channel.reset();
  }
  if (truth.fault != FaultKind::kNone && s.fault == FaultKind::kNone) {
    ++counts_.episodes;
    s.fault = truth.fault;
    s.channel = truth.fault_channel;
    s.start_t_s = truth.t_s;
    s.records = 0;
    s.detected = false;
    event(ScoreEvent::Kind::kEpisodeStarted);
  }
  if (s.fault != FaultKind::kNone) {
    ++s.records;
    s.last_fault_t_s = truth.t_s;
    s.had_episode = true;
  }

  if (!verdict.is_anomaly) {
    s.in_run = false;
    return events;
  }
  if (s.fault != FaultKind::kNone) {
    s.in_run = true;
    s.run_attributed = true;
    if (!s.detected) {
      s.detected = true;
      ++counts_.detected;
      ScoreEvent& e = event(ScoreEvent::Kind::kDetected);
      e.verdict = verdict;
      e.records = s.records - 1;
      e.seconds = truth.t_s - s.start_t_s;
    }
    return events;
  }
  // Flagged outside an episode. A run already under way keeps its attribution; a new one is an
  // after-effect of the last episode while it settles, else a false alarm.
  if (!s.in_run) {
    s.in_run = true;
    s.run_attributed = s.had_episode && truth.t_s - s.last_fault_t_s <= settle_s_;
    if (!s.run_attributed) {
      ++counts_.false_alarms;
      event(ScoreEvent::Kind::kFalseAlarm).verdict = verdict;
    }
  }
  return events;
}

}  // namespace astraguard::sim
