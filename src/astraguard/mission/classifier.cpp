#include "astraguard/mission/classifier.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace astraguard::mission {
namespace {

using detect::Contribution;
// A contribution at or above this score is a red-limit-level excursion (LimitChecker scores red
// violations 1.0 and yellow ones below 0.9).
constexpr double kStrongScore = 0.9;

// A LimitChecker red violation (score 1, reason "... below red-low ..." / "... above red-high
// ..."); a statistical score can round to 1 too, so the score alone does not tell.
bool IsRedLimit(const Contribution& c) {
  return c.score >= 1.0 && (c.reason.find(" red-low ") != std::string::npos ||
                            c.reason.find(" red-high ") != std::string::npos);
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

SensorSignature SensorHealth::Update(const Readings& r) {
  // An exact duplicate of the previous record (every channel equal) is a repeated delivery or a
  // synthetic load, not evidence about any one sensor: it neither advances nor clears state.
  if (has_last_ && r.present == last_present_) {
    bool same = true;
    for (int i = 0; i < kStdChannelCount && same; ++i) {
      same = !r.present[i] || r.value[i] == last_[i];
    }
    if (same) return last_sig_;
  }
  SensorSignature sig;
  for (int i = 0; i < kStdChannelCount; ++i) {
    if (!r.present[i]) {
      same_run_[i] = 0;
      dropout_active_[i] = false;
      continue;
    }
    const double v = r.value[i];
    const bool had = has_last_ && last_present_[i];
    same_run_[i] = (had && v == last_[i]) ? same_run_[i] + 1 : 1;
    if (config_->dropout_enabled[i]) {
      if (v != 0.0) {
        dropout_active_[i] = false;
      } else if (had && std::abs(last_[i]) >= config_->dropout_min_previous[i]) {
        dropout_active_[i] = true;
      }
    }
    const auto ch = static_cast<StdChannel>(i);
    if (ch == StdChannel::kWheelSpeed && config_->wheel_spin_down_ratio > 0 && v != 0.0) {
      if (wheel_baseline_ >= config_->wheel_min_baseline_rpm &&
          v < config_->wheel_spin_down_ratio * wheel_baseline_) {
        sig.wheel_spin_down = true;
        sig.wheel_baseline_rpm = wheel_baseline_;
        sig.wheel_threshold_rpm = config_->wheel_spin_down_ratio * wheel_baseline_;
      } else if (wheel_baseline_ == 0.0 || v > 0.5 * wheel_baseline_) {
        // learn only while the wheel runs normally (~ 100-sample memory)
        wheel_baseline_ =
            wheel_baseline_ == 0.0 ? v : wheel_baseline_ + 0.01 * (v - wheel_baseline_);
      }
    }
    if (dropout_active_[i] && !sig.sensor()) {
      sig.dropout = true;
      sig.channel = ch;
      sig.value = v;
    }
    const bool stuck =
        config_->stuck_samples > 0 && same_run_[i] >= config_->stuck_samples && !dropout_active_[i];
    if (stuck && !sig.sensor()) {
      sig.stuck = true;
      sig.channel = ch;
      sig.run = same_run_[i];
      sig.value = v;
    }
    last_[i] = v;
  }
  last_present_ = r.present;
  has_last_ = true;
  last_sig_ = sig;
  return sig;
}

Classification ClassifyFault(const detect::Detection& detection, const Readings& readings,
                             const SensorSignature& signature) {
  Classification out;
  // The evidence tier: red-limit violations on standard channels when there are any (a red
  // limit is certain, a statistical excursion is a judgement), otherwise every standard
  // contribution. Per-channel best score within that tier.
  bool red = false;
  for (const auto& c : detection.contributing) {
    red |= ParseStdChannel(c.channel).has_value() && IsRedLimit(c);
  }
  std::array<double, kStdChannelCount> score{};
  bool has_current_or_gyro = false;  // at a red-limit-like score (>= kStrongScore), any tier
  bool wheel_contributes = false;    // any tier
  const Contribution* detector_stuck = nullptr;
  for (const auto& c : detection.contributing) {
    auto ch = ParseStdChannel(c.channel);
    if (!ch || c.score <= 0) continue;
    if ((*ch == StdChannel::kCurrent || *ch == StdChannel::kGyro) && c.score >= kStrongScore) {
      has_current_or_gyro = true;
    }
    wheel_contributes |= *ch == StdChannel::kWheelSpeed;
    out.channels.push_back(c.channel);
    if (!detector_stuck && c.reason.find(" stuck at ") != std::string::npos) detector_stuck = &c;
    if (red && !IsRedLimit(c)) continue;
    auto& s = score[static_cast<int>(*ch)];
    s = std::max(s, c.score);
  }
  auto at = [&](StdChannel ch) { return score[static_cast<int>(ch)]; };

  if (signature.sensor()) {
    const std::string ch(StdChannelName(signature.channel));
    if (signature.dropout && signature.channel == StdChannel::kWheelSpeed &&
        (has_current_or_gyro || signature.wheel_spin_down)) {
      out.type = FaultType::kWheel;
      out.reason = "wheel_speed reads 0 with current/gyro excursions: wheel stall";
      return out;
    }
    out.type = FaultType::kSensor;
    out.channels = {ch};
    out.reason = signature.stuck ? ch + " stuck at " + Fmt(signature.value) + " for " +
                                       std::to_string(signature.run) + " samples"
                                 : ch + " dropout: reads exactly 0 after a non-zero value";
    return out;
  }
  if (detector_stuck) {  // the detection engine's own stuck-sensor verdict
    out.type = FaultType::kSensor;
    out.channels = {detector_stuck->channel};
    out.reason = detector_stuck->reason;
    return out;
  }
  const double power = std::max(at(StdChannel::kVoltage), at(StdChannel::kCurrent));
  const double thermal = at(StdChannel::kTemperature);
  const double attitude = at(StdChannel::kGyro);
  const double wheel = at(StdChannel::kWheelSpeed);
  // A failing wheel (wheel_speed contributing in any tier, or spun down) also shows in current
  // and gyro, so in the tier weighed those count as its evidence, and a spin-down signature
  // as a strong (0.9) one. It does not explain voltage or temperature: those win when higher.
  const bool wheel_evidence = wheel_contributes || signature.wheel_spin_down;
  const double wheel_side = wheel_evidence
                                ? std::max({wheel, at(StdChannel::kCurrent), attitude,
                                            signature.wheel_spin_down ? kStrongScore : 0.0})
                                : 0.0;
  const double voltage_or_thermal = std::max(at(StdChannel::kVoltage), thermal);
  if (wheel_evidence && wheel_side > voltage_or_thermal) {
    out.type = FaultType::kWheel;
    out.reason = wheel_contributes
                     ? "wheel_speed out of family"
                     : "wheel spun down below " + Fmt(signature.wheel_threshold_rpm) +
                           " RPM (baseline " + Fmt(signature.wheel_baseline_rpm) + " RPM)";
    if (out.channels.empty() ||
        std::find(out.channels.begin(), out.channels.end(), "wheel_speed") == out.channels.end()) {
      out.channels.push_back("wheel_speed");
    }
    if (has_current_or_gyro) out.reason += " with current/gyro excursions";
    return out;
  }
  if (power == 0 && thermal == 0 && attitude == 0) {
    out.type = FaultType::kUnknown;
    out.reason = detection.contributing.empty() ? "no contributing channel"
                                                : "only non-standard channels contribute";
    return out;
  }
  if (power >= thermal && power >= attitude) {
    out.type = FaultType::kPower;
    out.reason = "bus voltage/current out of family";
  } else if (thermal >= attitude) {
    out.type = FaultType::kThermal;
    out.reason = "temperature out of family";
  } else {
    out.type = FaultType::kAttitude;
    out.reason = "body rate out of family";
  }
  (void)readings;
  return out;
}

}  // namespace astraguard::mission
