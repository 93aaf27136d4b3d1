#pragma once
// LimitChecker: red/yellow low/high limit checks per channel, as flight operations tools such as
// OpenC3 COSMOS do them. A value outside a red limit is an anomaly with score 1.0; a value
// outside a yellow limit (but inside red) is a warning scored in [0.5, 0.9) by how far it went
// towards the red limit; a value inside the yellow limits scores 0. Channels without limits are
// ignored.
//
// Thread-safety: immutable after construction; Check may be called concurrently.

#include <map>
#include <span>
#include <string>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/detection.hpp"

namespace astraguard::detect {

// Limits of one channel in its engineering unit. Each bound is optional: an absent bound is
// +/-infinity. Must satisfy red_low <= yellow_low < yellow_high <= red_high.
struct Limits {
  double red_low;
  double yellow_low;
  double yellow_high;
  double red_high;
  std::string unit;  // printed in reasons, e.g. "V"
};

struct LimitsConfig {
  std::map<std::string, Limits, std::less<>> channels;
};

// The limits used when no configuration overrides them: a 28 V smallsat bus, the original
// prototype's physical ranges (original-system.md §1.2), and a 6000 RPM wheel.
LimitsConfig DefaultLimits();

// Checks the ordering of every channel's limits; names the offending channel.
Status Validate(const LimitsConfig& config);

// Parses "channel:red_low:yellow_low:yellow_high:red_high[:unit];..." ("-" for an absent bound).
Result<LimitsConfig> ParseLimits(std::string_view spec);

class LimitChecker final {
 public:
  explicit LimitChecker(LimitsConfig config) : config_(std::move(config)) {}

  // Adds a Contribution per channel out of its yellow limits and raises `out.anomaly_score`
  // and `out.is_anomaly` accordingly (is_anomaly when any channel is out of its red limits).
  void Check(std::span<const ChannelValue> values, Detection& out) const;

  const LimitsConfig& config() const { return config_; }

 private:
  LimitsConfig config_;
};

}  // namespace astraguard::detect
