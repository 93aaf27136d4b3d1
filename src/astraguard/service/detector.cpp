#include "astraguard/service/detector.hpp"

#include <prometheus/family.h>

#include <filesystem>

namespace astraguard::service {

std::shared_ptr<const detect::Model> Detector::LoadModel(const std::string& path,
                                                         std::string& error) {
  auto model = detect::Model::Load(path);
  if (!model.ok()) {
    error = model.status().message();
    return nullptr;
  }
  return std::make_shared<const detect::Model>(std::move(*model));
}

Detector::Detector(const DetectorOptions& options, prometheus::Registry& registry)
    : model_path_(options.model_path),
      engine_(detect::EngineConfig{}, options.limits_by_phase,
              LoadModel(options.model_path, model_error_)),
      mode_(engine_.degraded() ? "limits+robust"
                               : std::filesystem::path(options.model_path).stem().string()),
      bytes_per_channel_(engine_.MemoryBytesPerChannel()) {
  fallback_ = &prometheus::BuildCounter()
                   .Name("astra_detection_fallback_total")
                   .Help(
                       "Records evaluated without a learned model (limit checks and robust "
                       "statistics only) because the model file was missing or corrupt.")
                   .Register(registry)
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

}  // namespace astraguard::service
