#pragma once
// RobustStats: the detector for channels without a learned model. After a warm-up it tracks a
// running median and MAD by stochastic approximation (O(1) time and memory per sample, no
// randomness) and scores each value by its distance from the median in MAD-sigmas. Updates are
// winsorised so that an anomaly moves the median only slowly, and values beyond `clip`
// sigmas never update the MAD. A two-sided CUSUM of the signed distance catches drifts slower
// than any single value's distance would show.
//
// Hostile input: non-finite values are ignored; finite values are clamped to
// +/-kMaxChannelMagnitude (detection.hpp) before use, so the median, MAD and CUSUM stay finite
// whatever finite double is given (the Engine never passes larger values; it reports them).
// The warm-up samples are kept as float, narrowed only after that clamp (1e15 < FLT_MAX).
//
// Thread-safety: not thread-safe; owned by one channel state.

#include <array>
#include <cstdint>

namespace astraguard::detect {

struct RobustConfig {
  int warmup = 64;        // samples before scoring (at most kMaxWarmup)
  double rate = 0.005;    // step of the median/MAD trackers, in MAD-sigmas per sample
  double z = 6.0;         // MAD-sigmas that count as anomalous
  double clip = 3.0;      // updates use values winsorised to median +/- clip sigmas
  double cusum_k = 1.0;   // CUSUM slack (sigmas) for slow drifts the tracker would absorb
  double cusum_h = 50.0;  // CUSUM decision level (sigma-steps)
};

class RobustStats final {
 public:
  static constexpr int kMaxWarmup = 64;
  explicit RobustStats(const RobustConfig& config = {});

  // Adds a value; returns its distance from the median in MAD-sigmas (0 during warm-up).
  double Update(double x);

  bool warm() const { return count_ >= warmup_; }
  double median() const { return median_; }
  double sigma() const { return Sigma(); }
  std::int64_t count() const { return count_; }
  double threshold() const { return config_.z; }
  // Two-sided CUSUM of the signed distance (the larger side), and its decision level.
  double cusum() const { return cusum_pos_ > cusum_neg_ ? cusum_pos_ : cusum_neg_; }
  double cusum_threshold() const { return config_.cusum_h; }

 private:
  double Sigma() const;
  RobustConfig config_;
  int warmup_;
  std::array<float, kMaxWarmup> warm_{};  // values within +/-kMaxChannelMagnitude
  std::int64_t count_ = 0;
  double median_ = 0.0;
  double mad_ = 0.0;
  double cusum_pos_ = 0.0;
  double cusum_neg_ = 0.0;
};

}  // namespace astraguard::detect
