#pragma once
// Detector: the detection engine with its model, as the per-record pipeline uses it. Loads the
// model file once, at construction; a missing or corrupt file is not fatal: the engine then runs
// limit checks and robust statistics only, Health() reports "degraded", and every record
// evaluated that way counts in astra_detection_fallback_total.
// The chaos switch model_failure (FaultSwitches, when given) makes it act as if the model had
// failed while it is on: records go to a second engine built without the model (limits and
// robust statistics, its own state), are counted as fallbacks, and Health()/mode()/
// model_error() report the degraded mode; nothing fails.
//
// Online learning (DetectorOptions::online_train_steps > 0): a channel without a model in the
// file keeps its first N nominal values (detect::EngineConfig) and is then fitted by the
// detector's one trainer thread (StartOnlineTraining), one job at a time from a bounded queue,
// never on the request thread; the fitted model is swapped into the channel's engine slot.
// Each fit is logged ("channel_model_learned" with satellite, channel, steps), counted in
// astra_detection_models_learned_total, and the channels running one are the gauge
// astra_detection_learned_channels and "learned_channels" in Health().
// Export and load (DetectorOptions::learned_models_path): SaveLearnedModels writes every tracked
// channel's online model as a model file (channels "<satellite>/<channel>"); at construction the
// file, if present, is loaded and its channels start on their earlier model. A missing file is
// no model yet; a corrupt one is reported ("learned_models_error" in Health()) and ignored.
//
// Thread-safety: Evaluate may be called concurrently (the engine shards by satellite); the other
// methods read state that is fixed at construction or atomic, or take the queue's mutex.
// Lifetime: the registry, and the logger given to StartOnlineTraining, must outlive the Detector
// (its destructor stops and joins the trainer).

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <prometheus/gauge.h>

#include <boost/json/object.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <span>
#include <string>
#include <vector>

#include "astraguard/detect/engine.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/resilience/fault_switches.hpp"

namespace astraguard::service {

struct DetectorOptions {
  // Learned model file; a missing or unreadable one degrades detection (see above).
  std::string model_path;
  // The limits in force in each mission phase, in mission::Phase order (at least one set).
  std::vector<detect::LimitsConfig> limits_by_phase;
  // Chaos switches (model_failure); null: none. Must outlive the Detector.
  const resilience::FaultSwitches* faults = nullptr;
  // Nominal steps after which a channel without a model is fitted online; 0: off.
  std::size_t online_train_steps = 0;
  // Training jobs waiting at most; a channel whose job does not fit asks again later.
  std::size_t training_queue = 64;
  // Model file of the online models (see above); empty: neither loaded nor saved.
  std::string learned_models_path = {};
};

class Detector final {
 public:
  Detector(const DetectorOptions& options, prometheus::Registry& registry);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Starts the trainer thread (once; no-op when online learning is off). Until then no
  // training job is accepted.
  void StartOnlineTraining(obs::Logger& logger);
  // Keeps the record of `satellite_id` with timestamp `timestamp_ms` out of the training
  // history of its channels (operator feedback on an anomaly).
  void ExcludeFromTraining(std::string_view satellite_id, std::int64_t timestamp_ms);
  // Writes the online models to learned_models_path (a temporary file renamed over it);
  // kInvalidArgument without a path. Returns how many channels were written.
  Result<std::size_t> SaveLearnedModels() const;
  // Blocks until the queue is empty and no job runs (tests, shutdown of a demo).
  void WaitForTraining();
  // The model learned online for (satellite, channel), or null.
  std::shared_ptr<const detect::ChannelModel> LearnedModel(std::string_view satellite_id,
                                                           std::string_view channel) const {
    return engine_.LearnedModel(satellite_id, channel);
  }

  // `phase`: index of the mission phase (mission::Phase order) whose limits apply.
  // `timestamp_ms`: the record's timestamp, its tag in the training history.
  detect::Detection Evaluate(std::string_view satellite_id,
                             std::span<const detect::ChannelValue> values, size_t phase,
                             std::int64_t timestamp_ms = 0);

  bool degraded() const { return engine_.degraded() || model_failing(); }
  // The model's name (its file stem, e.g. "default") or "limits+robust" without a model: what
  // decided, as reported in responses ("detector") and detection spans ("model").
  const std::string& mode() const;
  // Why the model is not in use (empty when it is).
  const std::string& model_error() const;
  // The "detector" component of GET /health.
  boost::json::object Health() const;

 private:
  bool model_failing() const {
    return faults_ != nullptr && faults_->model_failure.load(std::memory_order_relaxed);
  }
  static std::shared_ptr<const detect::Model> LoadModel(const std::string& path,
                                                        std::string& error);
  // Before engine_: EngineConfigFor fills the last two while engine_ is built.
  const std::string learned_path_;
  std::string learned_error_;
  std::size_t learned_loaded_ = 0;
  const std::string model_path_;
  std::string model_error_;
  detect::Engine engine_;
  std::string mode_;
  size_t bytes_per_channel_;  // computed once: the engine derives it by building probe detectors
  const resilience::FaultSwitches* const faults_;
  // Without the model, for model_failure experiments; null without switches or without a model.
  std::unique_ptr<detect::Engine> fallback_engine_;
  prometheus::Counter* fallback_ = nullptr;

  struct Job {
    std::string satellite, channel;
  };
  detect::EngineConfig EngineConfigFor(const DetectorOptions& options);
  bool Enqueue(std::string_view satellite, std::string_view channel);
  void TrainLoop(obs::Logger& logger);
  const std::size_t queue_cap_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool accepting_ = false, stop_ = false, busy_ = false;
  std::uint64_t learned_total_ = 0;
  prometheus::Counter* models_learned_ = nullptr;
  prometheus::Gauge* learned_channels_ = nullptr;
  std::thread trainer_;  // last: joined before the rest is destroyed
};

}  // namespace astraguard::service
