#pragma once
// Engine: streaming anomaly detection per (satellite, channel). No I/O.
//
// Each record of a satellite passes three detectors, combined into one Detection:
//   - red/yellow limit checks (LimitChecker, from configuration), from one of several limit sets
//     chosen per call (the service keeps one set per mission phase);
//   - the learned model of the channel, if the Model has one: a linear predictor whose smoothed
//     errors are compared with an incremental Hundman-style dynamic threshold (channel_model.hpp);
//   - otherwise robust statistics (running median/MAD after a warm-up, robust_stats.hpp);
//   - plus a stuck-sensor check: a value repeated exactly for more than twice the longest
//     repetition in the channel's training history (learned channels, DetectorConfig::
//     stuck_factor), or for `stuck_steps` records on a robust channel that has been seen to vary.
// The record's anomaly_score is the maximum channel score; each contributing channel carries a
// readable reason; per channel an alarm interval opens at the first flagged record and closes
// `hold` records after the last one (Detection::alarms reports both events).
//
// State is sharded by a hash of the satellite id; each shard has its own mutex (no global lock)
// and an LRU list capping the satellites it tracks (max_satellites / shards each). Memory per
// tracked channel is bounded (MemoryBytesPerChannel) and channels per satellite are capped.
// Evicting a satellite drops its state, open alarm intervals included (no close event).
// Deterministic: the same records in the same order give the same detections. With online
// learning the fit is a function of the kept history alone, but the record from which a fitted
// model takes over depends on when the caller's trainer calls FinishTraining.
//
// Hostile input: a model that fails Model::Validate is not used (the engine runs degraded and
// model_status() says why). A finite value beyond +/-kMaxChannelMagnitude (detection.hpp) is
// reported as an anomaly of that channel (score 1, "beyond the magnitude the detector can use")
// and is not fed to its learned detector, robust statistics or stuck-value tracking; NaN and
// infinities are missing values for those detectors (limit checks still see them).
//
// Thread-safety: all methods may be called concurrently. The Model is shared immutable state.

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astraguard/detect/channel_model.hpp"
#include "astraguard/detect/detection.hpp"
#include "astraguard/detect/limits.hpp"
#include "astraguard/detect/model.hpp"
#include "astraguard/detect/robust_stats.hpp"

namespace astraguard::detect {

struct EngineConfig {
  std::size_t shards = 16;
  // LRU cap over all shards. Memory is about max_satellites x channels x
  // MemoryBytesPerChannel(): 1,000 satellites x 5 learned channels x ~10.5 kB = ~52 MB; a
  // channel collecting its online history holds 16 bytes x online_train_steps more until fitted
  // (16 kB at 1000).
  std::size_t max_satellites = 1000;
  std::size_t max_channels_per_satellite = 64;  // further channels are ignored (limits still apply)
  int hold = 100;                               // records an alarm stays open after the last flag
  int stuck_steps = 50;                         // identical repeats that count as a stuck sensor
  double report_ratio = 0.8;                    // channels at >= this fraction of their threshold
                                                // are listed as contributing
  RobustConfig robust;                          // for channels without a model
  // Online learning: a channel without a model keeps its first `online_train_steps` nominal
  // values (records not flagged anomalous; 16 bytes each, freed once the channel is fitted or
  // its fit failed) and then asks `request_training(satellite, channel)` for a fit (called
  // under the shard's lock: it must only enqueue; false: asked again 64 records later).
  // 0 or no callback: off.
  std::size_t online_train_steps = 0;
  std::function<bool(std::string_view, std::string_view)> request_training;
  // Models learned online by an earlier run (LearnedModels()), channels keyed
  // "<satellite>/<channel>": a channel the model file does not know starts on its entry, if
  // any, instead of collecting a history. Must pass Model::Validate (the caller checks).
  std::shared_ptr<const Model> learned;
};

class Engine final {
 public:
  // `model` may be null (missing or corrupt model file): the engine then runs limits and robust
  // statistics only and reports degraded().
  Engine(EngineConfig config, LimitsConfig limits, std::shared_ptr<const Model> model);
  // Several limit sets (at least one); Evaluate picks one by index.
  Engine(EngineConfig config, std::vector<LimitsConfig> limit_sets,
         std::shared_ptr<const Model> model);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Scores one record of `satellite_id` against limit set `limit_set` (clamped to the last
  // set). Channel names are borrowed for the call only.
  // `tag` identifies the record in the training history (the service passes its timestamp in
  // Unix ms; see ExcludeFromTraining).
  Detection Evaluate(std::string_view satellite_id, std::span<const ChannelValue> values,
                     std::size_t limit_set = 0, std::int64_t tag = 0);

  // Online learning (EngineConfig::online_train_steps), called off the request path by the
  // trainer. NominalHistory copies the history kept for (satellite, channel), without the values
  // excluded by ExcludeFromTraining; kNotFound when the satellite was evicted or the channel has
  // no history (it has a model). FinishTraining swaps `model` (fitted on that history; null: the
  // fit failed) into the channel's slot under the shard's lock and frees the history; false when
  // the channel is gone or already has a model. The swapped-in detector starts at the end of the
  // training history (its warm-up applies).
  Result<std::vector<double>> NominalHistory(std::string_view satellite_id,
                                             std::string_view channel) const;
  bool FinishTraining(std::string_view satellite_id, std::string_view channel,
                      std::shared_ptr<const ChannelModel> model);
  // Removes the values of the record of `satellite_id` tagged `tag` (Evaluate's `tag`) from
  // the history of every channel still collecting one (e.g. operator feedback on an anomaly).
  void ExcludeFromTraining(std::string_view satellite_id, std::int64_t tag);
  // Every tracked channel's online model (learned here or taken from EngineConfig::learned) as
  // one Model in online_config(), channels keyed "<satellite>/<channel>"; locks each shard in
  // turn (not for the request path).
  Model LearnedModels() const;
  // The model learned online for (satellite, channel), or null.
  std::shared_ptr<const ChannelModel> LearnedModel(std::string_view satellite_id,
                                                   std::string_view channel) const;
  // Tracked channels running a model learned online (evicted satellites no longer count).
  std::size_t learned_channels() const { return learned_.load(std::memory_order_relaxed); }
  // The DetectorConfig online fits use (the model file's, else the defaults).
  const DetectorConfig& online_config() const { return online_config_; }

  bool degraded() const { return model_ == nullptr; }
  // Ok, or why a non-null model was refused (Model::Validate).
  const Status& model_status() const { return model_status_; }
  std::size_t tracked_satellites() const;
  std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  // Upper bound of the state bytes of one tracked channel (the largest learned channel of the
  // model, or robust statistics).
  std::size_t MemoryBytesPerChannel() const;
  const EngineConfig& config() const { return config_; }

 private:
  struct ChannelSlot;
  struct Satellite;
  struct Shard;
  struct Outcome;

  ChannelSlot& SlotFor(std::string_view satellite_id, Satellite& sat, std::string_view name);
  Outcome StepSlot(ChannelSlot& slot, double value);
  void KeepNominal(std::string_view satellite_id, Satellite& sat,
                   std::span<const ChannelValue> values, std::int64_t tag);
  Shard& ShardOf(std::string_view satellite_id) const;
  ChannelSlot* FindSlot(std::string_view satellite_id, std::string_view channel) const;

  EngineConfig config_;
  std::vector<LimitChecker> limits_;  // at least one
  Status model_status_;
  std::shared_ptr<const Model> model_;
  DetectorConfig online_config_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::size_t per_shard_cap_;
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::size_t> learned_{0};
};

}  // namespace astraguard::detect
