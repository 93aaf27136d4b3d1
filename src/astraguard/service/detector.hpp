#pragma once
// Detector: the detection engine with its model, as the per-record pipeline uses it. Loads the
// model file once, at construction; a missing or corrupt file is not fatal: the engine then runs
// limit checks and robust statistics only, Health() reports "degraded", and every record
// evaluated that way counts in astra_detection_fallback_total.
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

namespace astraguard::service {

struct DetectorOptions {
  // Learned model file; a missing or unreadable one degrades detection (see above).
  std::string model_path;
  // The limits in force in each mission phase, in mission::Phase order (at least one set).
  std::vector<detect::LimitsConfig> limits_by_phase;
};

class Detector final {
 public:
  Detector(const DetectorOptions& options, prometheus::Registry& registry);

  // `phase`: index of the mission phase (mission::Phase order) whose limits apply.
  detect::Detection Evaluate(std::string_view satellite_id,
                             std::span<const detect::ChannelValue> values, size_t phase);

  bool degraded() const { return engine_.degraded(); }
  // The model's name (its file stem, e.g. "default") or "limits+robust" without a model: what
  // decided, as reported in responses ("detector") and detection spans ("model").
  const std::string& mode() const { return mode_; }
  // Why the model is not in use (empty when it is).
  const std::string& model_error() const { return model_error_; }
  // The "detector" component of GET /health.
  boost::json::object Health() const;

 private:
  static std::shared_ptr<const detect::Model> LoadModel(const std::string& path,
                                                        std::string& error);
  const std::string model_path_;
  std::string model_error_;
  detect::Engine engine_;
  std::string mode_;
  size_t bytes_per_channel_;  // computed once: the engine derives it by building probe detectors
  prometheus::Counter* fallback_ = nullptr;
};

}  // namespace astraguard::service
