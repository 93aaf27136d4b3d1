#pragma once
// ChannelModel: what is learned about one channel from its nominal history, and the streaming
// ChannelDetector that uses it.
//
// The learned part is a ridge-regularised linear predictor of the value from its own recent
// past (`lags` values ending `horizon` steps back) and the record's other inputs at the same
// step (e.g. SMAP/MSL command flags). Its absolute prediction errors are EWMA-smoothed and
// compared with a DynamicThreshold (Hundman et al. 2018, made incremental), whose window is
// primed with out-of-sample training errors (a model fitted on the first 1 - holdout of the
// history, errors on the rest) so that detection can start at the first live step. A value
// repeated exactly for longer than twice the longest repetition in training is flagged as a
// stuck sensor; a value outside the training range (plus a margin) for a run of steps opens
// an alarm; so does a moving mean of the step-to-step change |x_t - x_t-1| that rises past a
// multiple of its largest value on the training values (onset only). Optionally
// (mlp_hidden > 0) a small tanh network on the newest values, trained on the linear predictor's
// residuals, corrects the prediction. Defaults are the configuration cross-validation picked
// (EVALUATION.md).
//
// Hostile input: ValidateChannelModel states every invariant ChannelDetector relies on (sizes,
// bounds, finiteness); Model::Parse and Engine check it, and a ChannelDetector built on a model
// that violates it is inert (never flags, touches no vector). Whatever finite double Step is
// given, its state stays finite: values are clamped to +/-kMaxChannelMagnitude before they are
// stored (an out-of-range value is flagged, ChannelStep::out_of_range), a non-finite prediction
// falls back to the last stored value, and errors are clamped to [0, DynamicThreshold::kMaxError]
// before smoothing.
//
// Thread-safety: ChannelModel is an immutable value once fitted (share it as
// shared_ptr<const ...>). ChannelDetector is not thread-safe: one per (satellite, channel),
// owned by one engine shard; it borrows its model, which must outlive it.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/detection.hpp"
#include "astraguard/detect/dynamic_threshold.hpp"

namespace astraguard::detect {

// Bounds of a loadable model (ValidateChannelModel / ValidateDetectorConfig). Each bounds the
// memory or the work per step of one tracked (satellite, channel):
inline constexpr int kMaxLags = 256;             // predictor lags (a stack buffer in Step)
inline constexpr int kMaxHorizon = 10'000;       // lag ring of lags + horizon - 1 doubles
inline constexpr int kMaxInputs = 100'000;       // extra inputs per step (model size only)
inline constexpr int kMaxDiscordLength = 1'000;  // method 1 window (default 32)
inline constexpr int kMaxReference = 100'000;    // method 1 history: 800 kB and O(n) per step
inline constexpr std::int64_t kMaxRun = 1'000'000'000'000'000;  // 1e15 steps
inline constexpr int kMaxMlpHidden = 64;       // residual network units (work per step)
inline constexpr int kMaxMlpEpochs = 1'000;    // training passes (fit time)
inline constexpr double kMaxMlpWeight = 1e9;   // |weight| of a loadable network
inline constexpr double kMinMlpScale = 1e-16;  // standardising factor 1 / sd of the values
inline constexpr double kMaxMlpScale = 1e13;

// One global configuration for every channel (never tuned per channel with labels).
struct DetectorConfig {
  int lags = 30;              // own past values used by the predictor
  int horizon = 1;            // predict the value `horizon` steps after the newest lag
  bool use_inputs = true;     // feed the record's other inputs (command flags) to the predictor
  double ridge = 1e-2;        // L2 penalty, relative to the mean variance of the features
  double smoothing = 0.02;    // EWMA weight of the newest absolute error
  ThresholdConfig threshold;  // dynamic threshold
  double min_error = 0.02;    // errors below this fraction of the train range never alarm
  double prune = 0.13;        // an error must exceed max(non-anomalous errors) * (1 + prune)
  int prune_mode = 0;         // 0: max below eps; 1: max of the whole window
  int warmup = 250;           // live steps before alarms may open
  int hold = 100;             // steps an alarm stays open after the last flagged step
  int min_run = 1;            // consecutive steps above threshold before a step is flagged
  // Stuck sensor: a value repeated exactly for more than max(stuck_factor x the longest
  // repetition seen in training, stuck_min) steps is flagged. stuck_factor 0 disables it.
  double stuck_factor = 2.0;
  int stuck_min = 20;
  // Learned range: a value outside the training range widened by range_margin x that range on
  // each side, for range_steps consecutive steps, is flagged (channels whose train array
  // varies). range_steps 0 disables it.
  double range_margin = 0.05;
  int range_steps = 20;
  // Learned variability: an EWMA (weight var_smoothing) of the step-to-step change |x_t - x_t-1|
  // above var_factor x its largest value on the train array opens an alarm (only the step it
  // crosses is flagged; channels whose train array varies). var_factor 0 disables it.
  double var_factor = 2.0;
  double var_smoothing = 0.002;
  // Residual network: a one-hidden-layer tanh network (mlp_hidden units, 0 disables it) on the
  // newest mlp_lags values (at most `lags`), trained on the train array for mlp_epochs passes
  // to predict what the linear predictor gets wrong; its output is added to the prediction.
  int mlp_hidden = 0;
  int mlp_lags = 16;
  int mlp_epochs = 10;
  int prime = 2000;      // training errors kept to prime the threshold window
  double holdout = 0.2;  // fraction of history held out to prime with honest errors
  int method = 0;        // 0: linear predictor residual; 1: nearest-neighbour distance
                         // of the last `discord_length` values to the history (discord)
  int discord_length = 32;
  int max_reference = 4000;  // history values kept as reference for method 1
};

struct ChannelModel {
  std::string name;
  int lags = 0;
  int horizon = 1;
  int num_inputs = 0;           // extra inputs per step (command flags)
  std::vector<double> weights;  // lags own-value weights (newest first), inputs, bias
  double value_min = 0.0;       // training range
  double value_max = 0.0;
  double residual_sd = 0.0;         // training one-step residual standard deviation
  std::vector<double> tail;         // last lags + horizon - 1 training values (oldest first)
  std::vector<float> prime_errors;  // last smoothed training errors, oldest first
  double last_smoothed = 0.0;       // EWMA state at the end of training
  int method = 0;                   // as DetectorConfig::method
  std::vector<double> reference;    // method 1: the last history values
  std::int64_t max_run = 0;         // longest run of identical consecutive training values
  // Residual network (DetectorConfig::mlp_hidden; empty: none): W1 (mlp_hidden x mlp_lags),
  // b1, w2 (mlp_hidden each), b2, on lags standardised as (x - mlp_mean) x mlp_scale.
  int mlp_hidden = 0;
  int mlp_lags = 0;
  double mlp_mean = 0.0;
  double mlp_scale = 1.0;
  std::vector<double> mlp;
  double var_max = 0.0;  // largest EWMA of |x_t - x_t-1| on the training values (0: rule off)

  double Range() const { return value_max - value_min; }
};

// Sets one DetectorConfig field from "key=value" (keys as in the struct; threshold fields as
// "window", "recompute_every", "z_min", "z_max", "z_step", "max_sequences"). The number must be
// finite with |v| <= 1e9 (so the int fields' casts are exact).
Status SetDetectorParam(DetectorConfig& config, const std::string& assignment);

// kInvalidArgument naming the field when `config` is outside what detection supports: lags
// 1..kMaxLags, horizon 1..kMaxHorizon, smoothing in [0, 1], holdout in [0, 1], prune_mode and
// method 0 or 1, discord_length 2..kMaxDiscordLength, max_reference 0..kMaxReference, window
// and recompute_every 1..DynamicThreshold::kMaxWindow, var_smoothing in (0, 1], var_factor >= 0,
// mlp_hidden 0..kMaxMlpHidden, mlp_lags 1..kMaxLags, mlp_epochs 0..kMaxMlpEpochs,
// z_step >= kMinZStep, z_min <= z_max, every count >= 0, every real finite.
Status ValidateDetectorConfig(const DetectorConfig& config);

// kInvalidArgument "channel <name>: <field> ..." when `m` (used with `config`) breaks an
// invariant ChannelDetector relies on: dimensions within the bounds above; weights of
// lags + inputs + 1 and tail of lags + horizon - 1 finite values; min <= max, tail and reference
// within +/-kMaxChannelMagnitude; residual_sd finite >= 0; last and every prime error finite
// in [0, DynamicThreshold::kMaxError] and at most kMaxWindow of them; 0 <= max_run <= kMaxRun;
// var_max in [0, DynamicThreshold::kMaxError]; a residual network (if any) of 1..kMaxMlpHidden
// units on 1..lags inputs with exactly its weights, each finite within kMaxMlpWeight, a finite
// mean and a scale in [kMinMlpScale, kMaxMlpScale];
// method 0 with no reference, or method 1 with 3 x max(2, discord_length) .. kMaxReference
// reference values. Also checks `config` (ValidateDetectorConfig).
Status ValidateChannelModel(const ChannelModel& m, const DetectorConfig& config);

// Fits a model on a nominal history: `values[t]` and, if num_inputs > 0, `inputs` row-major
// with num_inputs per step. Fails on too little history (< lags + horizon + 10 steps), on an
// invalid config (ValidateDetectorConfig) and on values or inputs that are not finite or beyond
// +/-kMaxChannelMagnitude.
Result<ChannelModel> FitChannelModel(std::string name, std::span<const double> values,
                                     std::span<const double> inputs, int num_inputs,
                                     const DetectorConfig& config);

// Outcome of one streaming step for one channel.
struct ChannelStep {
  double prediction = 0.0;
  double error = 0.0;         // smoothed absolute error
  double threshold = 0.0;     // effective threshold the error was compared with
  bool flagged = false;       // error above threshold, or stuck, at this step
  bool stuck = false;         // the value has repeated for longer than training ever showed
  bool outside = false;       // outside the learned range for range_steps steps
  bool variable = false;      // step-to-step variability crossed var_factor x its training max
  double variability = 0.0;   // EWMA of |x_t - x_t-1| after this step
  std::int64_t repeats = 0;   // identical consecutive values up to this step
  bool in_alarm = false;      // alarm interval open after this step
  bool opened = false;        // an interval opened at this step
  bool closed = false;        // an interval closed before this step (hold expired)
  bool out_of_range = false;  // |value| > kMaxChannelMagnitude: clamped before use, flagged
  std::int64_t closed_start = -1;
  std::int64_t closed_end = -1;
  double Ratio() const { return threshold > 0 ? error / threshold : 0.0; }
};

class ChannelDetector final {
 public:
  // A model that fails ValidateChannelModel(model, config) gives an inert detector: Step
  // returns an unflagged step and reads none of the model's vectors (see inert()).
  ChannelDetector(const ChannelModel& model, const DetectorConfig& config);

  // Processes the next value; `inputs` holds model.num_inputs values (may be empty if 0;
  // ignored unless it holds at least that many). A non-finite value is a missing one (neither
  // alarms nor enters the state); a finite one beyond +/-kMaxChannelMagnitude is clamped and
  // flagged (ChannelStep::out_of_range).
  ChannelStep Step(double value, std::span<const double> inputs);

  bool inert() const { return inert_; }

  std::int64_t steps() const { return step_; }
  bool in_alarm() const { return open_start_ >= 0; }
  std::int64_t open_start() const { return open_start_; }
  // End step of the open interval if nothing else is flagged.
  std::int64_t open_until() const { return last_flag_ + config_.hold; }
  std::size_t MemoryBytes() const;

 private:
  const ChannelModel& model_;
  DetectorConfig config_;
  bool inert_ = false;         // the model broke an invariant: never flags, reads no model vector
  std::vector<double> hist_;   // ring of the last lags + horizon - 1 values
  std::size_t hist_head_ = 0;  // position of the oldest value
  double smoothed_ = 0.0;
  DynamicThreshold threshold_;
  std::int64_t step_ = 0;
  std::int64_t open_start_ = -1;
  std::int64_t last_flag_ = -1;
  int above_run_ = 0;
  double last_value_ = 0.0;
  std::int64_t repeats_ = 0;
  std::int64_t outside_run_ = 0;  // consecutive values outside the learned range
  double variability_ = 0.0;      // EWMA of |x_t - x_t-1| (starts at 0, as in training)
  bool variable_ = false;         // variability_ above its limit at the previous step
  // method 1 (discord): live window ring and squared distances to every reference window.
  std::vector<double> win_;
  std::size_t win_head_ = 0;
  std::vector<double> dist_;
  std::int64_t since_refresh_ = 0;
  double DiscordError(double value);
  void RefreshDistances();
};

}  // namespace astraguard::detect
