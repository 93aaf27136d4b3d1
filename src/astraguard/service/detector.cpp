#include "astraguard/service/detector.hpp"

#include <prometheus/family.h>

#include <filesystem>

#include "astraguard/detect/channel_model.hpp"

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

detect::EngineConfig Detector::EngineConfigFor(const DetectorOptions& options) {
  detect::EngineConfig c;
  c.online_train_steps = options.online_train_steps;
  c.request_training = [this](std::string_view sat, std::string_view channel) {
    return Enqueue(sat, channel);
  };
  if (!options.learned_models_path.empty()) {
    auto learned = detect::Model::Load(options.learned_models_path);
    if (learned.ok()) {
      learned_loaded_ = learned->channels.size();
      c.learned = std::make_shared<const detect::Model>(std::move(*learned));
    } else if (learned.status().code() != Code::kNotFound) {
      learned_error_ = learned.status().message();
    }
  }
  return c;
}

Detector::Detector(const DetectorOptions& options, prometheus::Registry& registry)
    : learned_path_(options.learned_models_path),
      model_path_(options.model_path),
      engine_(EngineConfigFor(options), options.limits_by_phase,
              LoadModel(options.model_path, model_error_)),
      mode_(engine_.degraded() ? "limits+robust"
                               : std::filesystem::path(options.model_path).stem().string()),
      bytes_per_channel_(engine_.MemoryBytesPerChannel()),
      faults_(options.faults),
      queue_cap_(options.training_queue) {
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
  models_learned_ = &prometheus::BuildCounter()
                         .Name("astra_detection_models_learned_total")
                         .Help("Channel models learned online from a channel's nominal history.")
                         .Register(registry)
                         .Add({});
  learned_channels_ = &prometheus::BuildGauge()
                           .Name("astra_detection_learned_channels")
                           .Help("Tracked channels running a model learned online.")
                           .Register(registry)
                           .Add({});
}

Detector::~Detector() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    accepting_ = false;
  }
  cv_.notify_all();
  if (trainer_.joinable()) trainer_.join();
}

void Detector::StartOnlineTraining(obs::Logger& logger) {
  if (engine_.config().online_train_steps == 0 || trainer_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    accepting_ = true;
  }
  trainer_ = std::thread([this, &logger] { TrainLoop(logger); });
}

// Called by the engine under a shard's lock: only enqueues.
bool Detector::Enqueue(std::string_view satellite, std::string_view channel) {
  {
    std::lock_guard lock(mu_);
    if (!accepting_ || queue_.size() >= queue_cap_) return false;
    queue_.push_back({std::string(satellite), std::string(channel)});
  }
  cv_.notify_all();
  return true;
}

void Detector::TrainLoop(obs::Logger& logger) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      cv_.notify_all();
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    auto history = engine_.NominalHistory(job.satellite, job.channel);
    if (!history.ok()) continue;  // evicted meanwhile
    std::shared_ptr<const detect::ChannelModel> model;
    auto fitted = detect::FitChannelModel(job.channel, *history, {}, 0, engine_.online_config());
    std::string error;
    if (fitted.ok()) {
      if (Status st = detect::ValidateChannelModel(*fitted, engine_.online_config()); st.ok()) {
        model = std::make_shared<const detect::ChannelModel>(std::move(*fitted));
      } else {
        error = st.message();
      }
    } else {
      error = fitted.status().message();
    }
    const bool installed = engine_.FinishTraining(job.satellite, job.channel, model);
    learned_channels_->Set(double(engine_.learned_channels()));
    if (installed) {
      models_learned_->Increment();
      {
        std::lock_guard lock(mu_);
        ++learned_total_;
      }
      logger.Info("astraguard.detection", "channel_model_learned",
                  {{"satellite", std::string_view(job.satellite)},
                   {"channel", std::string_view(job.channel)},
                   {"steps", static_cast<std::int64_t>(history->size())}});
    } else if (!error.empty()) {
      logger.Warning("astraguard.detection", "channel_model_not_learned",
                     {{"satellite", std::string_view(job.satellite)},
                      {"channel", std::string_view(job.channel)},
                      {"error", std::string_view(error)}});
    }
  }
}

Result<std::size_t> Detector::SaveLearnedModels() const {
  if (learned_path_.empty()) {
    return Status::Error(Code::kInvalidArgument, "no learned models path");
  }
  const detect::Model learned = engine_.LearnedModels();
  const std::string tmp = learned_path_ + ".tmp";
  if (Status st = learned.Save(tmp); !st.ok()) return st;
  std::error_code ec;
  std::filesystem::rename(tmp, learned_path_, ec);
  if (ec) {
    return Status::Error(Code::kUnavailable,
                         std::string("cannot rename to ").append(learned_path_).append(": ")
                             .append(ec.message()));
  }
  return learned.channels.size();
}

void Detector::WaitForTraining() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stop_ || !trainer_.joinable() || (queue_.empty() && !busy_); });
}

void Detector::ExcludeFromTraining(std::string_view satellite_id, std::int64_t timestamp_ms) {
  engine_.ExcludeFromTraining(satellite_id, timestamp_ms);
}

detect::Detection Detector::Evaluate(std::string_view satellite_id,
                                     std::span<const detect::ChannelValue> values, size_t phase,
                                     std::int64_t timestamp_ms) {
  if (fallback_engine_ && model_failing()) {
    fallback_->Increment();
    return fallback_engine_->Evaluate(satellite_id, values, phase);
  }
  if (engine_.degraded()) fallback_->Increment();
  detect::Detection d = engine_.Evaluate(satellite_id, values, phase, timestamp_ms);
  // Evictions drop learned channels too; one relaxed load and an atomic store.
  if (engine_.config().online_train_steps > 0)
    learned_channels_->Set(double(engine_.learned_channels()));
  return d;
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
  h["online_train_steps"] = engine_.config().online_train_steps;
  h["learned_channels"] = engine_.learned_channels();
  {
    std::lock_guard lock(mu_);
    h["models_learned"] = learned_total_;
    h["training_queue"] = queue_.size();
  }
  if (!learned_path_.empty()) {
    h["learned_models_path"] = learned_path_;
    h["learned_models_loaded"] = learned_loaded_;
    if (!learned_error_.empty()) h["learned_models_error"] = learned_error_;
  }
  return h;
}

}  // namespace astraguard::service
