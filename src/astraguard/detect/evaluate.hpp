#pragma once
// Evaluation on NASA SMAP/MSL-style data (Hundman et al., KDD 2018) under the protocol of
// ../shared/data/nasa-smap-msl/README.md: per channel, fit on the train array, then stream the
// test array one step at a time (strictly causal, alarm intervals start where raised, no labels
// during detection, one global DetectorConfig), then score event-wise and point-wise.
//
// Thread-safety: free functions without shared state.

#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/channel_model.hpp"

namespace astraguard::detect {

using Interval = std::pair<std::int64_t, std::int64_t>;  // inclusive [start, end] steps

struct LabeledChannel {
  std::string channel;
  std::string spacecraft;
  std::vector<Interval> sequences;  // merged, sorted (duplicate rows unioned)
};

// Reads labeled_anomalies.csv; rows for the same channel are unioned.
Result<std::vector<LabeledChannel>> LoadLabels(const std::string& csv_path);

// Event- and point-wise figures over a set of channels.
struct Scores {
  std::int64_t channels = 0;
  std::int64_t steps = 0;
  std::int64_t alarm_steps = 0;
  std::int64_t labeled_steps = 0;
  std::int64_t true_alarm_steps = 0;  // alarmed and labelled
  std::int64_t sequences = 0;
  std::int64_t detected = 0;         // true positives (sequences)
  std::int64_t false_intervals = 0;  // alarm intervals overlapping no sequence
  std::int64_t intervals = 0;
  std::vector<double> latencies;  // per detected sequence, steps
  double seconds = 0.0;           // streaming time

  void Add(const Scores& other);
  double Precision() const;
  double Recall() const;
  double F1() const;
  double PointF1() const;
  double LatencyQuantile(double q) const;  // NaN when nothing detected or q is not in [0, 1]
  double FalseAlarmsPer10k() const;
  double AlarmFraction() const;
  double StepsPerSecond() const;
};

// Scores one channel's alarm intervals against its labelled sequences (test length `steps`).
Scores ScoreChannel(const std::vector<Interval>& alarms, const std::vector<Interval>& labels,
                    std::int64_t steps);

// Reads folds.csv (`chan_id, spacecraft, fold`): the fold of each channel.
Result<std::map<std::string, int>> LoadFolds(const std::string& csv_path);

// One axis of a candidate grid: a detector setting (a SetDetectorParam key) and its values.
struct GridAxis {
  std::string key;
  std::vector<double> values;
};

// Parses "key=v1,v2,..." (at least one value; every value accepted by SetDetectorParam).
Result<GridAxis> ParseGridAxis(const std::string& spec);

// The grid `evaluate --cv` searches when none is given (432 candidates): window and lags (the
// settings EVALUATION.md found sensitive that the selection still moves; smoothing and
// min_error stay at their defaults), the learned-range rule (off, or 10 / 20 steps past a 2 % /
// 5 % margin) and the learned-variability rule (off, or 1.5 / 2 / 3 x the training maximum of
// an EWMA of |x_t - x_t-1| with weight 0.002 / 0.005 / 0.02).
std::vector<GridAxis> DefaultCvGrid();

// The guardrails of the data README that a candidate must meet on the channels it is chosen on.
inline constexpr double kMaxAlarmFraction = 0.06;
inline constexpr double kMaxFalseAlarmsPer10k = 1.0;

// Model selection over per-channel results. `scores[c][i]` is candidate c on channel i;
// `neighbours[c]` are c's grid neighbours (one step along one axis). On the channels where
// `use[i]`, each candidate's scores are pooled; among the candidates that meet the guardrails
// there, the one with the highest plateau F1 (the mean pooled event F1 of itself and its
// neighbours) wins; ties: higher own F1, then lower index. Reads nothing outside `use`.
struct Selection {
  int candidate = -1;  // -1: no candidate meets the guardrails
  double plateau_f1 = 0.0;
  Scores pooled;  // the chosen candidate on the `use` channels
};
Selection SelectCandidate(const std::vector<std::vector<Scores>>& scores,
                          const std::vector<std::vector<int>>& neighbours,
                          const std::vector<bool>& use);

// Cross-validated selection: for each fold k (ascending), SelectCandidate on the channels of the
// other folds, then the choice scored on fold k alone; `pooled` sums the held-out scores. `all`
// is SelectCandidate on every channel: the configuration to ship.
struct CrossValidation {
  std::vector<int> folds;
  std::vector<Selection> chosen;  // per fold, chosen without that fold
  std::vector<Scores> held_out;   // per fold, the choice on that fold
  Scores pooled;
  Selection all;
};
CrossValidation CrossValidate(const std::vector<std::vector<Scores>>& scores,
                              const std::vector<std::vector<int>>& neighbours,
                              const std::vector<int>& fold_of_channel);

struct EvaluateOptions {
  std::string data_dir;               // holds SMAP/, MSL/, labeled_anomalies.csv
  std::vector<std::string> channels;  // empty: every labelled channel
  bool json = false;
  std::string alarms_path;   // if set: {"<chan>": [[start, end], ...]}
  bool per_channel = false;  // also print one line per channel
  DetectorConfig detector;
  std::vector<DetectorConfig> extra_members;  // ensemble: alarms are the union of all members
  // Cross-validated model selection over `grid` (empty: DefaultCvGrid()) applied on top of
  // `detector`, with the folds of <data_dir>/folds.csv; prints the per-fold choices, the pooled
  // held-out figures and the choice on all channels.
  bool cv = false;
  std::vector<GridAxis> grid;
};

// Runs the protocol and prints figures (text table or one JSON object) to `out`; errors to
// `err`. Returns 0 on success, 1 on data errors, 2 on bad options.
int RunEvaluate(const EvaluateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace astraguard::detect
