#pragma once
// Scoreboard: sets the simulator's ground truth beside the service's verdicts, record by record,
// and reduces them to episode-level events: a fault episode started, was detected (with its
// latency), or ended undetected; an anomaly outside any episode is a false alarm, one per run of
// consecutive flagged records. It exists so that the demo can show what was injected and what
// the service made of it instead of one line per flagged record.
//
// Flagged records during an episode, or within `settle_s` of simulated time after it ends (a
// hot deck cools slowly, a stalled wheel spins back up), belong to that episode; so does a run
// of flagged records that began there and has not been interrupted since.
//
// Pure bookkeeping, no I/O: the caller prints the events. Records of one satellite must be fed
// in time order. Not thread-safe: feed it from one thread (or under the caller's lock).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astraguard/sim/satellite.hpp"

namespace astraguard::sim {

// What the service answered for one record (the fields of its telemetry response).
struct Verdict {
  std::string satellite_id;
  bool is_anomaly = false;
  std::string anomaly_type;        // "power_fault", ..., "normal"
  std::string severity_level;      // "LOW" .. "CRITICAL"
  std::string recommended_action;  // "REDUCE_POWER_LOAD", ..., "NO_ACTION"
  std::string mission_phase;
  std::string anomaly_id;     // empty when none
  std::string action_status;  // empty when none
};

struct ScoreEvent {
  enum class Kind {
    kEpisodeStarted,  // the first record of a fault episode
    kDetected,        // the first flagged record of an episode
    kMissed,          // an episode ended without a flagged record
    kFalseAlarm,      // the first record of a run of flagged records outside any episode
  };
  Kind kind = Kind::kEpisodeStarted;
  std::string satellite_id;
  FaultKind fault = FaultKind::kNone;  // the episode's fault; kNone for kFalseAlarm
  std::optional<Channel> channel;      // the faulty channel of a sensor fault
  Verdict verdict;                     // kDetected, kFalseAlarm: the flagged record's verdict
  // kDetected: episode records before the detecting one, and the simulated seconds from the
  // episode's first record to it (0 and 0 when the first record was flagged).
  // kMissed: the episode's length in records and simulated seconds.
  int64_t records = 0;
  double seconds = 0.0;
};

struct ScoreCounts {
  int64_t records = 0;       // records observed
  int64_t episodes = 0;      // fault episodes started
  int64_t detected = 0;      // episodes with a flagged record
  int64_t missed = 0;        // episodes that ended without one
  int64_t false_alarms = 0;  // runs of flagged records outside any episode
};

class Scoreboard {
 public:
  explicit Scoreboard(double settle_s = 300.0) : settle_s_(settle_s) {}

  // Records `truth` (the simulator's record with its label) and `verdict` (the service's answer
  // for it). Returns the events it causes, usually none, in order.
  std::vector<ScoreEvent> Observe(const Record& truth, const Verdict& verdict);

  const ScoreCounts& counts() const { return counts_; }

 private:
  struct Satellite {
    FaultKind fault = FaultKind::kNone;  // the current episode's fault; kNone between episodes
    std::optional<Channel> channel;
    double start_t_s = 0.0;  // simulated time of the episode's first record
    double last_fault_t_s = 0.0;
    int64_t records = 0;  // records of the current episode so far
    bool detected = false;
    bool had_episode = false;     // last_fault_t_s is meaningful
    bool in_run = false;          // the previous record was flagged
    bool run_attributed = false;  // that run of flagged records belongs to an episode
  };

  const double settle_s_;
  std::unordered_map<std::string, Satellite> satellites_;
  ScoreCounts counts_;
};

}  // namespace astraguard::sim
