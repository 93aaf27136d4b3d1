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
// Thread-safety: Evaluate may be called concurrently (the engine shards by satellite); the other
// methods read state that is fixed at construction or atomic.
// Lifetime: the registry must outlive the Detector.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <boost/json/object.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "astraguard/detect/engine.hpp"
#include "astraguard/resilience/fault_switches.hpp"

namespace astraguard::service {

struct DetectorOptions {
  // Learned model file; a missing or unreadable one degrades detection (see above).
  std::string model_path;
  // The limits in force in each mission phase, in mission::Phase order (at least one set).
  std::vector<detect::LimitsConfig> limits_by_phase;
  // Chaos switches (model_failure); null: none. Must outlive the Detector.
  const resilience::FaultSwitches* faults = nullptr;
};

class Detector final {
 public:
  Detector(const DetectorOptions& options, prometheus::Registry& registry);

  // `phase`: index of the mission phase (mission::Phase order) whose limits apply.
  detect::Detection Evaluate(std::string_view satellite_id,
                             std::span<const detect::ChannelValue> values, size_t phase);

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
  const std::string model_path_;
  std::string model_error_;
  detect::Engine engine_;
  std::string mode_;
  size_t bytes_per_channel_;  // computed once: the engine derives it by building probe detectors
  const resilience::FaultSwitches* const faults_;
  // Without the model, for model_failure experiments; null without switches or without a model.
  std::unique_ptr<detect::Engine> fallback_engine_;
  prometheus::Counter* fallback_ = nullptr;
};

}  // namespace astraguard::service
