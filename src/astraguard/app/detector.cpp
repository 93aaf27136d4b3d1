#include "astraguard/app/detector.hpp"

#include <prometheus/family.h>

#include <filesystem>

namespace astraguard::app {

std::shared_ptr<const detect::Model> Detector::LoadModel(const std::string& path,
                                                         std::string& error) {
  auto model = detect::Model::Load(path);
  if (!model.ok()) {
    error = model.status().message();
    return nullptr;
  }
  return std::make_shared<const detect::Model>(std::move(*model));
}

std::vector<detect::LimitsConfig> Detector::LimitSets(const config::Config& config) {
  const auto by_phase = config.LimitsByPhase();
  return {by_phase.begin(), by_phase.end()};
}

Detector::Detector(const config::Config& config, obs::Metrics& metrics)
    : model_path_(config.model_path),
      engine_(detect::EngineConfig{}, LimitSets(config), LoadModel(config.model_path, model_error_)),
      mode_(engine_.degraded() ? "limits+robust"
                               : std::filesystem::path(config.model_path).stem().string()),
      bytes_per_channel_(engine_.MemoryBytesPerChannel()) {
  fallback_ = &prometheus::BuildCounter()
                   .Name("astra_detection_fallback_total")
                   .Help("Records evaluated without a learned model (limit checks and robust "
                         "statistics only) because the model file was missing or corrupt.")
                   .Register(metrics.registry())
                   .Add({});
}

detect::Detection Detector::Evaluate(std::string_view satellite_id,
                                     std::span<const detect::ChannelValue> values, size_t phase) {
  if (engine_.degraded()) fallback_->Increment();
  return engine_.Evaluate(satellite_id, values, phase);
}

boost::json::object Detector::Health() const {
  boost::json::object h;
  h["status"] = engine_.degraded() ? "degraded" : "healthy";
  h["mode"] = mode_;
  h["model_path"] = model_path_;
  if (engine_.degraded()) h["model_error"] = model_error_;
  h["tracked_satellites"] = engine_.tracked_satellites();
  h["max_satellites"] = engine_.config().max_satellites;
  h["bytes_per_channel"] = bytes_per_channel_;
  h["evictions"] = engine_.evictions();
  return h;
}

}  // namespace astraguard::app
