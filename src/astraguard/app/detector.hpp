#pragma once
// Detector: the service's detection engine with its model, as the routes use it. Loads the model
// file once at start-up; a missing or corrupt file is not fatal: the engine then runs limit checks
// and robust statistics only, /health reports the detector "degraded", and every record evaluated
// that way counts in astra_detection_fallback_total.
//
// Thread-safety: Evaluate may be called concurrently (the engine shards by satellite).

#include <boost/json/object.hpp>
#include <prometheus/counter.h>

#include <memory>
#include <span>
#include <string>

#include "astraguard/common/status.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/detect/engine.hpp"
#include "astraguard/obs/metrics.hpp"

namespace astraguard::app {

class Detector final {
 public:
  // `metrics` must outlive the Detector.
  Detector(const config::Config& config, obs::Metrics& metrics);

  // `phase`: index of the mission phase (config::kPhaseNames order) whose limits apply.
  detect::Detection Evaluate(std::string_view satellite_id,
                             std::span<const detect::ChannelValue> values, size_t phase);

  bool degraded() const { return engine_.degraded(); }
  // The model's name (its file stem, e.g. "default") or "limits+robust" without a model: what
  // decided, as reported in responses ("detector") and detection spans ("model").
  const std::string& mode() const { return mode_; }
  // Why the model is not in use (empty when it is).
  const std::string& model_error() const { return model_error_; }
  boost::json::object Health() const;

 private:
  static std::vector<detect::LimitsConfig> LimitSets(const config::Config& config);
  static std::shared_ptr<const detect::Model> LoadModel(const std::string& path,
                                                        std::string& error);
  const std::string model_path_;
  std::string model_error_;
  detect::Engine engine_;
  std::string mode_;
  size_t bytes_per_channel_;  // computed once: the engine derives it by building probe detectors
  prometheus::Counter* fallback_ = nullptr;
};

}  // namespace astraguard::app
