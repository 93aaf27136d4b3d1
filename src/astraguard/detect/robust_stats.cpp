#include "astraguard/detect/robust_stats.hpp"

#include <algorithm>
#include <cmath>

#include "astraguard/detect/detection.hpp"

namespace astraguard::detect {

RobustStats::RobustStats(const RobustConfig& config)
    : config_(config), warmup_(std::clamp(config.warmup, 3, kMaxWarmup)) {}

double RobustStats::Sigma() const {
  // A constant channel (MAD 0) still gets a tiny scale so that a change stands out.
  return std::max(1.4826 * mad_, 1e-6 * (1.0 + std::abs(median_)));
}

double RobustStats::Update(double x) {
  if (!std::isfinite(x)) return 0.0;
  x = std::clamp(x, -kMaxChannelMagnitude, kMaxChannelMagnitude);
  if (count_ < warmup_) {
    // count_ < warmup_ <= kMaxWarmup: the index is in range; |x| <= 1e15 fits a float.
    warm_[static_cast<std::size_t>(count_)] = static_cast<float>(x);
    ++count_;
    if (count_ == warmup_) {
      std::array<float, kMaxWarmup> v = warm_;
      auto mid = v.begin() + warmup_ / 2;
      std::nth_element(v.begin(), mid, v.begin() + warmup_);
      median_ = *mid;
      for (int i = 0; i < warmup_; ++i) v[i] = std::abs(warm_[i] - static_cast<float>(median_));
      std::nth_element(v.begin(), mid, v.begin() + warmup_);
      mad_ = *mid;
    }
    return 0.0;
  }
  ++count_;
  const double s = Sigma();
  const double signed_z = (x - median_) / s;
  const double z = std::abs(signed_z);
  cusum_pos_ = std::max(0.0, cusum_pos_ + signed_z - config_.cusum_k);
  cusum_neg_ = std::max(0.0, cusum_neg_ - signed_z - config_.cusum_k);
  const double clipped = std::clamp(x, median_ - config_.clip * s, median_ + config_.clip * s);
  const double step = config_.rate * s;
  const double d = clipped - median_;
  median_ += std::abs(d) < step ? d : std::copysign(step, d);
  if (z <= config_.clip) {  // outliers never widen the scale
    const double dev = std::abs(x - median_);
    mad_ += dev > mad_ ? config_.rate * s / 1.4826 : -config_.rate * s / 1.4826;
    mad_ = std::max(0.0, mad_);
  }
  return z;
}

}  // namespace astraguard::detect
