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
      bytes_per_channel_(engine_.MemoryBytesPerChannel()),
      faults_(options.faults) {
  if (faults_ != nullptr && !engine_.degraded())
    fallback_engine_ = std::make_unique<detect::Engine>(detect::EngineConfig{},
                                                        options.limits_by_phase, nullptr);
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
  if (fallback_engine_ && model_failing()) {
    fallback_->Increment();
    return fallback_engine_->Evaluate(satellite_id, values, phase);
  }
  if (engine_.degraded()) fallback_->Increment();
  return engine_.Evaluate(satellite_id, values, phase);
}

namespace {
const std::string kLimitsOnly = "limits+robust";
const std::string kChaosModelError = "chaos experiment model_failure";
}  // namespace

const std::string& Detector::mode() const { return model_failing() ? kLimitsOnly : mode_; }

const std::string& Detector::model_error() const {
  return model_failing() ? kChaosModelError : model_error_;
}

boost::json::object Detector::Health() const {
  boost::json::object h;
  const bool degraded = this->degraded();
  h["status"] = degraded ? "degraded" : "healthy";
  h["mode"] = mode();
  h["model_path"] = model_path_;
  if (degraded) h["model_error"] = model_error();
  h["tracked_satellites"] = engine_.tracked_satellites();
  h["max_satellites"] = engine_.config().max_satellites;
  h["bytes_per_channel"] = bytes_per_channel_;
  h["evictions"] = engine_.evictions();
  return h;
}

}  // namespace astraguard::service
