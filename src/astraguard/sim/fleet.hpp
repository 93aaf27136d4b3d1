#pragma once
// Fleet: N SatelliteModels advanced in lock step, with a fault schedule that is either given
// explicitly or drawn from a seeded random process. Also the record encoders (NDJSON, CSV and
// the JSON body the service's telemetry endpoints accept).
//
// Deterministic for a seed: satellite i uses seed (seed * 1000003 + i) and the random fault
// schedule is drawn up front from `seed`. Not thread-safe: owned by one thread.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/sim/satellite.hpp"

namespace astraguard::sim {

// 2026-01-01T00:00:00Z, the default simulated start time (keeps output reproducible).
inline constexpr int64_t kDefaultStartEpochMs = 1'767'225'600'000;

struct ScheduledFault {
  int satellite = 0;  // index into the fleet
  FaultEpisode episode;
};

struct FleetConfig {
  int satellites = 3;
  uint64_t seed = 42;
  double step_s = 10.0;  // simulated seconds between samples
  int64_t start_epoch_ms = kDefaultStartEpochMs;
  std::string id_prefix = "SAT-";  // ids are prefix + 3-digit index from 001
  ModelParams params;
  // Random faults: expected episodes per satellite per simulated hour (0 = none). Episodes never
  // overlap on one satellite and are separated by at least `fault_gap_s` of nominal operation.
  double faults_per_hour = 0.0;
  double fault_duration_s = 900.0;
  double fault_gap_s = 1200.0;
  double horizon_s = 86400.0;          // how far ahead random faults are drawn
  std::vector<FaultKind> fault_pool;   // empty = all kinds
  std::vector<ScheduledFault> faults;  // explicit episodes, added to the random ones
};

// Parses "KIND@START[+DURATION][:CHANNEL][#SAT]" (seconds; SAT is a 0-based index, default 0),
// e.g. "wheel_stall@600+300#1" or "sensor_stuck@1200:temperature".
Result<ScheduledFault> ParseFaultSpec(std::string_view spec);

class Fleet {
 public:
  explicit Fleet(const FleetConfig& config);

  // Advances every satellite by step_s; returns one record per satellite, in index order.
  std::vector<Record> Tick();
  // Same, but only for satellite `index`.
  Record TickOne(int index);

  int size() const { return static_cast<int>(models_.size()); }
  const std::vector<ScheduledFault>& schedule() const { return schedule_; }
  const FleetConfig& config() const { return config_; }

 private:
  FleetConfig config_;
  std::vector<SatelliteModel> models_;
  std::vector<ScheduledFault> schedule_;
};

// One NDJSON line (with '\n'). With `with_truth`, adds "truth":{"fault","expected_type"[,
// "channel"]} so files carry their ground-truth labels.
void WriteNdjson(const Record& r, bool with_truth, std::ostream& out);
void WriteCsvHeader(std::ostream& out);
void WriteCsv(const Record& r, std::ostream& out);
// The telemetry JSON object the service accepts (no truth, no trailing newline).
std::string TelemetryJson(const Record& r);

}  // namespace astraguard::sim
