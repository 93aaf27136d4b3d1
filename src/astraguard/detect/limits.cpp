#include "astraguard/detect/limits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace astraguard::detect {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string FormatValue(double v) { return fmt::format("{:.6g}", v); }

std::string Reason(std::string_view channel, double value, const Limits& l, const char* which,
                   double bound) {
  const char* dir = (std::string_view(which).find("low") != std::string_view::npos) ? "below"
                                                                                    : "above";
  std::string unit = l.unit.empty() ? "" : " " + l.unit;
  return fmt::format("{} {}{} {} {} {}{}", channel, FormatValue(value), unit, dir, which,
                     FormatValue(bound), unit);
}

Result<double> ParseBound(std::string_view s, double absent) {
  if (s == "-" || s.empty()) return absent;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    return Status::Error(Code::kInvalidArgument, fmt::format("'{}' is not a finite number", s));
  }
  return v;
}

}  // namespace

LimitsConfig DefaultLimits() {
  LimitsConfig c;
  c.channels["voltage"] = {22.0, 24.0, 32.0, 34.0, "V"};
  c.channels["temperature"] = {-40.0, -20.0, 60.0, 80.0, "C"};
  c.channels["gyro"] = {-0.5, -0.2, 0.2, 0.5, "rad/s"};
  c.channels["current"] = {-kInf, -kInf, 8.0, 10.0, "A"};
  c.channels["wheel_speed"] = {-kInf, -kInf, 5000.0, 6000.0, "RPM"};
  return c;
}

Status Validate(const LimitsConfig& config) {
  for (const auto& [name, l] : config.channels) {
    bool ordered = l.red_low <= l.yellow_low && l.yellow_low < l.yellow_high &&
                   l.yellow_high <= l.red_high;
    if (!ordered || std::isnan(l.red_low) || std::isnan(l.yellow_low) ||
        std::isnan(l.yellow_high) || std::isnan(l.red_high)) {
      return Status::Error(
          Code::kInvalidArgument,
          fmt::format("limits of channel '{}' must satisfy red_low <= yellow_low < yellow_high "
                      "<= red_high",
                      name));
    }
  }
  return Status::Ok();
}

Result<LimitsConfig> ParseLimits(std::string_view spec) {
  LimitsConfig config;
  while (!spec.empty()) {
    size_t end = spec.find(';');
    std::string_view entry = spec.substr(0, end);
    spec = end == std::string_view::npos ? std::string_view() : spec.substr(end + 1);
    if (entry.empty()) continue;
    std::vector<std::string_view> parts;
    while (true) {
      size_t c = entry.find(':');
      parts.push_back(entry.substr(0, c));
      if (c == std::string_view::npos) break;
      entry = entry.substr(c + 1);
    }
    if (parts.size() != 5 && parts.size() != 6) {
      return Status::Error(Code::kInvalidArgument,
                           fmt::format("limit entry for '{}' needs "
                                       "channel:red_low:yellow_low:yellow_high:red_high[:unit]",
                                       parts[0]));
    }
    Limits l;
    auto rl = ParseBound(parts[1], -kInf);
    auto yl = ParseBound(parts[2], -kInf);
    auto yh = ParseBound(parts[3], kInf);
    auto rh = ParseBound(parts[4], kInf);
    for (auto* r : {&rl, &yl, &yh, &rh}) {
      if (!r->ok()) {
        return Status::Error(Code::kInvalidArgument,
                             fmt::format("limits of '{}': {}", parts[0], r->status().message()));
      }
    }
    l.red_low = *rl;
    l.yellow_low = *yl;
    l.yellow_high = *yh;
    l.red_high = *rh;
    if (parts.size() == 6) l.unit = std::string(parts[5]);
    config.channels[std::string(parts[0])] = l;
  }
  if (Status s = Validate(config); !s.ok()) return s;
  return config;
}

void LimitChecker::Check(std::span<const ChannelValue> values, Detection& out) const {
  for (const ChannelValue& cv : values) {
    auto it = config_.channels.find(cv.name);
    if (it == config_.channels.end()) continue;
    const Limits& l = it->second;
    const double v = cv.value;
    double score = 0.0;
    std::string reason;
    if (v < l.red_low) {
      score = 1.0;
      reason = Reason(cv.name, v, l, "red-low", l.red_low);
    } else if (v > l.red_high) {
      score = 1.0;
      reason = Reason(cv.name, v, l, "red-high", l.red_high);
    } else if (v < l.yellow_low) {
      double span = l.yellow_low - l.red_low;
      double frac = std::isfinite(span) && span > 0 ? (l.yellow_low - v) / span : 0.0;
      score = 0.5 + 0.4 * std::clamp(frac, 0.0, 1.0);
      reason = Reason(cv.name, v, l, "yellow-low", l.yellow_low);
    } else if (v > l.yellow_high) {
      double span = l.red_high - l.yellow_high;
      double frac = std::isfinite(span) && span > 0 ? (v - l.yellow_high) / span : 0.0;
      score = 0.5 + 0.4 * std::clamp(frac, 0.0, 1.0);
      reason = Reason(cv.name, v, l, "yellow-high", l.yellow_high);
    } else {
      continue;
    }
    out.anomaly_score = std::max(out.anomaly_score, score);
    if (score >= 1.0) out.is_anomaly = true;
    out.contributing.push_back({std::string(cv.name), v, score, std::move(reason)});
  }
  std::stable_sort(out.contributing.begin(), out.contributing.end(),
                   [](const Contribution& a, const Contribution& b) { return a.score > b.score; });
  // Limit checks are exact: a red violation is certain; nominal values are confidently nominal;
  // yellow is a judgement call, so confidence tracks how close to red the worst channel is.
  out.confidence = out.is_anomaly ? 1.0 : (out.contributing.empty() ? 0.95 : out.anomaly_score);
}

}  // namespace astraguard::detect
