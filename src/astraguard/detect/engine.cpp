#include "astraguard/detect/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

namespace astraguard::detect {
namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Score in [0, 1] from the ratio of a statistic to its threshold: 0.5 at the threshold.
double RatioScore(double ratio) {
  if (!(ratio > 0)) return 0.0;
  return std::clamp(1.0 - std::exp2(-ratio), 0.0, 1.0);
}

enum class Source { kNone, kLearned, kRobust, kStuck, kRange, kVariability, kUnusable };

// The model if it passes its structural check, else null (degraded) with the reason in `status`.
std::shared_ptr<const Model> Checked(std::shared_ptr<const Model> model, Status& status) {
  if (model == nullptr) return nullptr;
  status = model->Validate();
  return status.ok() ? std::move(model) : nullptr;
}

}  // namespace

struct Engine::ChannelSlot {
  std::string name;
  std::unique_ptr<ChannelDetector> learned;  // when the model knows the channel
  const ChannelModel* model = nullptr;       // its model (the file's or online_model)
  const DetectorConfig* dconfig = nullptr;   // and configuration
  std::shared_ptr<const ChannelModel> online_model;  // learned online
  std::optional<RobustStats> robust;         // otherwise
  // Online learning: nominal values and their record tags, until fitted (then freed).
  enum class Training : std::uint8_t { kOff, kCollecting, kRequested } training = Training::kOff;
  std::vector<double> history;  // NaN: excluded after the fact
  std::vector<std::int64_t> history_tags;
  double last_value = std::nan("");
  double min_seen = 0.0;  // range seen, to tell a varying channel
  double max_seen = 0.0;
  std::int64_t repeats = 0;
  std::int64_t step = 0;
  std::int64_t open_start = -1;
  std::int64_t last_flag = -1;
};

struct Engine::Satellite {
  std::vector<ChannelSlot> channels;
  std::size_t collecting = 0;  // channels collecting an online history
  std::list<std::string>::iterator lru;
};

struct Engine::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Satellite, StringHash, std::equal_to<>> satellites;
  std::list<std::string> lru;  // front: most recently used
};

struct Engine::Outcome {
  Source source = Source::kNone;
  bool flagged = false;
  double score = 0.0;
  double reliability = 0.0;  // how much this detector's verdict can be trusted, [0, 1]
  double ratio = 0.0;
  double error = 0.0;
  double threshold = 0.0;
  double sigma = 0.0;
  double center = 0.0;
  double drift = 0.0;        // robust CUSUM relative to its decision level
  double variability = 0.0;  // learned detector's moving mean of |x_t - x_t-1|
};

Engine::Engine(EngineConfig config, LimitsConfig limits, std::shared_ptr<const Model> model)
    : Engine(std::move(config), std::vector<LimitsConfig>{std::move(limits)}, std::move(model)) {}

Engine::Engine(EngineConfig config, std::vector<LimitsConfig> limit_sets,
               std::shared_ptr<const Model> model)
    : config_(std::move(config)),
      model_(Checked(std::move(model), model_status_)),
      online_config_(model_ != nullptr ? model_->config : DetectorConfig{}) {
  if (!config_.request_training) config_.online_train_steps = 0;
  if (limit_sets.empty()) limit_sets.emplace_back();
  for (auto& l : limit_sets) limits_.emplace_back(std::move(l));
  config_.shards = std::max<std::size_t>(1, config_.shards);
  config_.max_satellites = std::max<std::size_t>(1, config_.max_satellites);
  per_shard_cap_ = std::max<std::size_t>(1, config_.max_satellites / config_.shards);
  shards_.reserve(config_.shards);
  for (std::size_t i = 0; i < config_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

Engine::~Engine() = default;

std::size_t Engine::tracked_satellites() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->satellites.size();
  }
  return n;
}

std::size_t Engine::MemoryBytesPerChannel() const {
  std::size_t learned = 0;
  if (model_ != nullptr) {
    for (const auto& [name, m] : model_->channels) {
      ChannelDetector probe(m, model_->config);
      learned = std::max(learned, probe.MemoryBytes());
    }
  }
  // A channel collecting its online history holds both the robust statistics and the history.
  const std::size_t collecting =
      sizeof(RobustStats) + config_.online_train_steps * (sizeof(double) + sizeof(std::int64_t));
  return sizeof(ChannelSlot) + 64 /* name */ + std::max(learned, collecting);
}

Engine::ChannelSlot& Engine::SlotFor(std::string_view satellite_id, Satellite& sat,
                                     std::string_view name) {
  for (auto& slot : sat.channels) {
    if (slot.name == name) return slot;
  }
  ChannelSlot& slot = sat.channels.emplace_back();
  slot.name = std::string(name);
  const ChannelModel* m = model_ != nullptr ? model_->Find(name) : nullptr;
  if (m != nullptr) {
    slot.model = m;
    slot.dconfig = &model_->config;
    slot.learned = std::make_unique<ChannelDetector>(*m, model_->config);
    return slot;
  }
  const ChannelModel* earlier = nullptr;
  if (config_.learned != nullptr) {
    earlier = config_.learned->Find(std::string(satellite_id).append("/").append(name));
  }
  if (earlier != nullptr) {  // learned online by an earlier run
    slot.online_model = std::shared_ptr<const ChannelModel>(config_.learned, earlier);
    slot.model = earlier;
    slot.dconfig = &config_.learned->config;
    slot.learned = std::make_unique<ChannelDetector>(*earlier, config_.learned->config);
    learned_.fetch_add(1, std::memory_order_relaxed);
  } else {
    slot.robust.emplace(config_.robust);
    if (config_.online_train_steps > 0) {
      slot.training = ChannelSlot::Training::kCollecting;
      ++sat.collecting;
    }
  }
  return slot;
}

Engine::Outcome Engine::StepSlot(ChannelSlot& slot, double value) {
  Outcome o;
  if (std::isfinite(value) && std::abs(value) > kMaxChannelMagnitude) {
    // No detector state is touched: the value is reported, not learned from.
    o.source = Source::kUnusable;
    o.flagged = true;
    o.score = 1.0;
    o.ratio = 1.0;
    o.reliability = 1.0;
    return o;
  }
  if (slot.learned) {
    ChannelStep st = slot.learned->Step(value, {});
    o.source = Source::kLearned;
    o.flagged = st.flagged;
    o.ratio = st.Ratio();
    o.error = st.error;
    o.threshold = st.threshold;
    o.center = st.prediction;
    const DetectorConfig& dc = *slot.dconfig;
    const int warm = std::max(1, dc.warmup);
    o.reliability = 0.9 * std::min(1.0, double(slot.step + 1) / warm);
    o.score = RatioScore(o.ratio);
    if (st.stuck && st.Ratio() <= 1.0) {  // stuck, and the residual alone would not flag
      const ChannelModel* m = slot.model;
      const double limit =
          std::max(dc.stuck_factor * double(m->max_run), double(dc.stuck_min));
      o.source = Source::kStuck;
      o.ratio = double(st.repeats) / limit;
      o.score = RatioScore(o.ratio);
      o.reliability = 0.8 * std::min(1.0, double(slot.step + 1) / warm);
    } else if (st.outside && st.Ratio() <= 1.0) {  // a sustained excursion past training range
      const ChannelModel* m = slot.model;
      const double excess = std::max(value - m->value_max, m->value_min - value);
      o.source = Source::kRange;
      o.ratio = 1.0 + excess / m->Range();  // Range() > 0: the rule needs a varying train array
      o.score = RatioScore(o.ratio);
      o.reliability = 0.8 * std::min(1.0, double(slot.step + 1) / warm);
    } else if (st.variable && st.Ratio() <= 1.0) {  // step-to-step change beyond training
      o.source = Source::kVariability;
      o.ratio = st.variability / slot.model->var_max;  // var_max > 0: the rule needs it
      o.variability = st.variability;
      o.score = RatioScore(o.ratio);
      o.reliability = 0.8 * std::min(1.0, double(slot.step + 1) / warm);
    }
  } else {
    const double z = slot.robust->Update(value);
    o.source = Source::kRobust;
    o.ratio = z / slot.robust->threshold();
    o.drift = slot.robust->cusum() / slot.robust->cusum_threshold();
    if (o.drift > o.ratio) o.ratio = o.drift;
    o.flagged = slot.robust->warm() && o.ratio > 1.0;
    o.sigma = z;
    o.center = slot.robust->median();
    o.reliability = slot.robust->warm() ? 0.6 : 0.0;
    o.score = slot.robust->warm() ? RatioScore(o.ratio) : 0.0;
  }
  // Stuck sensor: exact repeats on a channel that has been seen to vary.
  if (std::isfinite(value)) {
    if (slot.step == 0) {
      slot.min_seen = slot.max_seen = value;
    } else {
      slot.min_seen = std::min(slot.min_seen, value);
      slot.max_seen = std::max(slot.max_seen, value);
    }
    slot.repeats = value == slot.last_value ? slot.repeats + 1 : 0;
    slot.last_value = value;
  }
  // Learned channels judge repetition against their training (ChannelDetector); channels on
  // robust statistics against `stuck_steps` once they have been seen to vary.
  const bool varies = !slot.learned && slot.max_seen > slot.min_seen;
  if (config_.stuck_steps > 0 && varies && slot.repeats + 1 >= config_.stuck_steps && !o.flagged) {
    o.source = Source::kStuck;
    o.flagged = true;
    o.ratio = double(slot.repeats + 1) / config_.stuck_steps;
    o.score = RatioScore(o.ratio);
    o.reliability = 0.8;
  }
  return o;
}

Detection Engine::Evaluate(std::string_view satellite_id, std::span<const ChannelValue> values,
                           std::size_t limit_set, std::int64_t tag) {
  Detection out;
  limits_[std::min(limit_set, limits_.size() - 1)].Check(values, out);
  bool limit_contrib = !out.contributing.empty();
  double reliability_sum = 0.0;
  double top_reliability = limit_contrib ? 1.0 : 0.0;
  double top_score = out.anomaly_score;

  Shard& shard = ShardOf(satellite_id);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.satellites.find(satellite_id);
    if (it == shard.satellites.end()) {
      if (shard.satellites.size() >= per_shard_cap_) {
        auto victim = shard.satellites.find(shard.lru.back());
        for (const ChannelSlot& s : victim->second.channels) {
          if (s.online_model) learned_.fetch_sub(1, std::memory_order_relaxed);
        }
        shard.satellites.erase(victim);
        shard.lru.pop_back();
        evictions_.fetch_add(1, std::memory_order_relaxed);
      }
      shard.lru.emplace_front(satellite_id);
      it = shard.satellites.emplace(shard.lru.front(), Satellite{}).first;
      it->second.lru = shard.lru.begin();
    } else if (it->second.lru != shard.lru.begin()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
    }
    Satellite& sat = it->second;
    for (const ChannelValue& cv : values) {
      const bool known = std::any_of(sat.channels.begin(), sat.channels.end(),
                                     [&](const ChannelSlot& s) { return s.name == cv.name; });
      if (!known && sat.channels.size() >= config_.max_channels_per_satellite) continue;
      ChannelSlot& slot = SlotFor(satellite_id, sat, cv.name);
      Outcome o = StepSlot(slot, cv.value);
      reliability_sum += o.reliability;

      // Alarm interval of this channel.
      if (slot.open_start >= 0 && slot.step > slot.last_flag + config_.hold) {
        out.alarms.push_back({slot.name, false, slot.open_start, slot.last_flag + config_.hold});
        slot.open_start = -1;
      }
      if (o.flagged) {
        if (slot.open_start < 0) {
          slot.open_start = slot.step;
          out.alarms.push_back({slot.name, true, slot.step, -1});
        }
        slot.last_flag = slot.step;
        out.is_anomaly = true;
      }
      ++slot.step;

      if (o.flagged || o.ratio >= config_.report_ratio) {
        Contribution c;
        c.channel = slot.name;
        c.value = cv.value;
        c.score = o.score;
        switch (o.source) {
          case Source::kLearned: {
            const double sd = slot.learned ? slot.model->residual_sd : 0.0;
            const double over = o.error - o.threshold;
            if (sd > 0 && over > 0) {
              c.reason = fmt::format("{} residual {:.1f} sigma above its dynamic threshold",
                                     slot.name, over / sd);
            } else {
              c.reason = fmt::format(
                  "{} residual at {:.0f}% of its dynamic threshold ({:.3g} vs "
                  "{:.3g}; predicted {:.6g})",
                  slot.name, 100 * o.ratio, o.error, o.threshold, o.center);
            }
            break;
          }
          case Source::kRobust:
            if (o.drift >= o.sigma / slot.robust->threshold()) {
              c.reason = fmt::format(
                  "{} {:.6g} drifting from its running median {:.6g} "
                  "(cumulative deviation {:.0f} sigma)",
                  slot.name, cv.value, o.center, slot.robust->cusum());
            } else {
              c.reason = fmt::format("{} {:.6g} is {:.1f} sigma from its running median {:.6g}",
                                     slot.name, cv.value, o.sigma, o.center);
            }
            break;
          case Source::kStuck:
            c.reason =
                slot.learned
                    ? fmt::format(
                          "{} stuck at {:.6g} for {} samples (longest repeat in training: "
                          "{})",
                          slot.name, cv.value, slot.repeats + 1, slot.model->max_run)
                    : fmt::format("{} stuck at {:.6g} for {} samples", slot.name, cv.value,
                                  slot.repeats + 1);
            break;
          case Source::kRange: {
            const ChannelModel* m = slot.model;
            c.reason = fmt::format(
                "{} {:.6g} outside its training range [{:.6g}, {:.6g}] for {} samples", slot.name,
                cv.value, m->value_min, m->value_max, slot.dconfig->range_steps);
            break;
          }
          case Source::kVariability:
            c.reason = fmt::format(
                "{} step-to-step change (moving mean {:.3g}) is {:.1f}x the largest seen in "
                "training ({:.3g})",
                slot.name, o.variability, o.ratio, slot.model->var_max);
            break;
          case Source::kUnusable:
            c.reason = fmt::format(
                "{} {:.6g} is beyond the magnitude the detector can use (|value| <= {:g}); "
                "not used to update its state",
                slot.name, cv.value, kMaxChannelMagnitude);
            break;
          case Source::kNone:
            break;
        }
        if (o.score > top_score) {
          top_score = o.score;
          top_reliability = o.reliability;
        }
        out.contributing.push_back(std::move(c));
      }
    }
    if (sat.collecting > 0 && !out.is_anomaly) KeepNominal(satellite_id, sat, values, tag);
  }
  out.anomaly_score = std::clamp(std::max(out.anomaly_score, top_score), 0.0, 1.0);
  if (out.anomaly_score > 0) {
    out.confidence = top_reliability;
  } else {
    out.confidence = values.empty() ? 0.0 : reliability_sum / values.size();
  }
  out.confidence = std::clamp(out.confidence, 0.0, 1.0);
  std::stable_sort(out.contributing.begin(), out.contributing.end(),
                   [](const Contribution& a, const Contribution& b) { return a.score > b.score; });
  return out;
}

}  // namespace astraguard::detect

namespace astraguard::detect {

// Appends the values of a record nobody flagged to the histories of the channels collecting
// one; a full history asks for its fit (again every 64 records while the request is refused).
void Engine::KeepNominal(std::string_view satellite_id, Satellite& sat,
                         std::span<const ChannelValue> values, std::int64_t tag) {
  const std::size_t n = config_.online_train_steps;
  for (const ChannelValue& cv : values) {
    if (!std::isfinite(cv.value) || std::abs(cv.value) > kMaxChannelMagnitude) continue;
    for (ChannelSlot& slot : sat.channels) {
      if (slot.name != cv.name) continue;
      if (slot.training == ChannelSlot::Training::kCollecting) {
        bool filled = false;
        if (slot.history.size() < n) {
          if (slot.history.empty()) {
            slot.history.reserve(n);
            slot.history_tags.reserve(n);
          }
          slot.history.push_back(cv.value);
          slot.history_tags.push_back(tag);
          filled = slot.history.size() == n;
        }
        if ((filled || (slot.history.size() == n && slot.step % 64 == 0)) &&
            config_.request_training(satellite_id, slot.name)) {
          slot.training = ChannelSlot::Training::kRequested;
        }
      }
      break;
    }
  }
}

Engine::Shard& Engine::ShardOf(std::string_view satellite_id) const {
  return *shards_[std::hash<std::string_view>{}(satellite_id) % shards_.size()];
}

// Caller holds the shard's lock.
Engine::ChannelSlot* Engine::FindSlot(std::string_view satellite_id,
                                      std::string_view channel) const {
  Shard& shard = ShardOf(satellite_id);
  auto it = shard.satellites.find(satellite_id);
  if (it == shard.satellites.end()) return nullptr;
  for (ChannelSlot& slot : it->second.channels) {
    if (slot.name == channel) return &slot;
  }
  return nullptr;
}

Result<std::vector<double>> Engine::NominalHistory(std::string_view satellite_id,
                                                   std::string_view channel) const {
  std::lock_guard lock(ShardOf(satellite_id).mu);
  const ChannelSlot* slot = FindSlot(satellite_id, channel);
  if (slot == nullptr || slot->training == ChannelSlot::Training::kOff) {
    return Status::Error(Code::kNotFound, "no training history for this channel");
  }
  std::vector<double> out;
  out.reserve(slot->history.size());
  for (double v : slot->history) {
    if (!std::isnan(v)) out.push_back(v);
  }
  return out;
}

bool Engine::FinishTraining(std::string_view satellite_id, std::string_view channel,
                            std::shared_ptr<const ChannelModel> model) {
  Shard& shard = ShardOf(satellite_id);
  std::lock_guard lock(shard.mu);
  ChannelSlot* slot = FindSlot(satellite_id, channel);
  if (slot == nullptr || slot->training == ChannelSlot::Training::kOff) return false;
  slot->training = ChannelSlot::Training::kOff;
  --shard.satellites.find(satellite_id)->second.collecting;
  std::vector<double>().swap(slot->history);
  std::vector<std::int64_t>().swap(slot->history_tags);
  if (model == nullptr) return false;
  slot->online_model = std::move(model);
  slot->model = slot->online_model.get();
  slot->dconfig = &online_config_;
  slot->learned = std::make_unique<ChannelDetector>(*slot->model, online_config_);
  slot->robust.reset();
  learned_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Engine::ExcludeFromTraining(std::string_view satellite_id, std::int64_t tag) {
  Shard& shard = ShardOf(satellite_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.satellites.find(satellite_id);
  if (it == shard.satellites.end()) return;
  for (ChannelSlot& slot : it->second.channels) {
    for (std::size_t i = 0; i < slot.history_tags.size(); ++i) {
      if (slot.history_tags[i] == tag) slot.history[i] = std::nan("");
    }
  }
}

Model Engine::LearnedModels() const {
  Model out;
  out.config = online_config_;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    for (const auto& [satellite, sat] : shard->satellites) {
      for (const ChannelSlot& slot : sat.channels) {
        if (!slot.online_model) continue;
        ChannelModel m = *slot.online_model;
        m.name = satellite + "/" + slot.name;
        out.channels.emplace(m.name, std::move(m));
      }
    }
  }
  return out;
}

std::shared_ptr<const ChannelModel> Engine::LearnedModel(std::string_view satellite_id,
                                                         std::string_view channel) const {
  std::lock_guard lock(ShardOf(satellite_id).mu);
  const ChannelSlot* slot = FindSlot(satellite_id, channel);
  return slot != nullptr ? slot->online_model : nullptr;
}

}  // namespace astraguard::detect
