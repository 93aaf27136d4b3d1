#include "astraguard/detect/dynamic_threshold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace astraguard::detect {
namespace {
constexpr int kMaxCandidates = 64;
}

DynamicThreshold::DynamicThreshold(const ThresholdConfig& config)
    : config_(config), epsilon_(std::numeric_limits<double>::infinity()) {
  config_.window = std::max(config_.window, 16);
  config_.recompute_every = std::max(config_.recompute_every, 1);
  if (config_.z_step <= 0) config_.z_step = 0.5;
  num_z_ = static_cast<int>(std::floor((config_.z_max - config_.z_min) / config_.z_step + 1e-9)) + 1;
  num_z_ = std::clamp(num_z_, 1, kMaxCandidates);
  ring_.assign(static_cast<std::size_t>(config_.window), 0.0f);
}

void DynamicThreshold::Push(double error) {
  ring_[head_] = static_cast<float>(error);
  head_ = (head_ + 1) % ring_.size();
  if (size_ < ring_.size()) ++size_;
  if (++since_recompute_ >= config_.recompute_every) Recompute();
}

void DynamicThreshold::Prime(std::span<const float> errors) {
  std::size_t n = std::min(errors.size(), ring_.size());
  for (std::size_t i = errors.size() - n; i < errors.size(); ++i) {
    ring_[head_] = errors[i];
    head_ = (head_ + 1) % ring_.size();
    if (size_ < ring_.size()) ++size_;
  }
  Recompute();
}

void DynamicThreshold::Recompute() {
  since_recompute_ = 0;
  if (size_ < 2) return;
  const std::size_t cap = ring_.size();
  const std::size_t start = (head_ + cap - size_) % cap;
  double sum = 0.0;
  double sumsq = 0.0;
  double mx = 0.0;
  for (std::size_t i = 0; i < size_; ++i) {
    double e = ring_[(start + i) % cap];
    sum += e;
    sumsq += e * e;
    mx = std::max(mx, e);
  }
  max_all_ = mx;
  const double n = static_cast<double>(size_);
  mean_ = sum / n;
  sd_ = std::sqrt(std::max(0.0, sumsq / n - mean_ * mean_));
  if (sd_ <= 1e-12 || mean_ <= 1e-12) {
    epsilon_ = mean_ + config_.z_max * sd_;
    max_below_ = mean_;
    return;
  }
  // Bucket j (0..num_z_) holds errors above exactly j candidates: eps_k < e for k < j.
  const int nz = num_z_;
  double cnt[kMaxCandidates + 1] = {};
  double bsum[kMaxCandidates + 1] = {};
  double bsq[kMaxCandidates + 1] = {};
  double bmax[kMaxCandidates + 1];
  double runs[kMaxCandidates + 2] = {};
  std::fill(std::begin(bmax), std::end(bmax), -std::numeric_limits<double>::infinity());
  const double inv = 1.0 / (sd_ * config_.z_step);
  const double base = (mean_ + config_.z_min * sd_);
  int prev = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    double e = ring_[(start + i) % cap];
    // number of k with base + k*step*sd < e
    double r = (e - base) * inv;
    int j = r < 0 ? 0 : std::min(nz, static_cast<int>(std::floor(r)) + 1);
    cnt[j] += 1;
    bsum[j] += e;
    bsq[j] += e * e;
    bmax[j] = std::max(bmax[j], e);
    if (j > prev) {  // a run above eps_k starts here for k in [prev, j)
      runs[prev] += 1;
      runs[j] -= 1;
    }
    prev = j;
  }
  double best = -std::numeric_limits<double>::infinity();
  int best_k = -1;
  double below_n = 0, below_sum = 0, below_sq = 0, below_max = -1e300, run_acc = 0;
  double best_max_below = mean_;
  for (int k = 0; k < nz; ++k) {
    below_n += cnt[k];
    below_sum += bsum[k];
    below_sq += bsq[k];
    below_max = std::max(below_max, bmax[k]);
    run_acc += runs[k];
    const double above = n - below_n;
    if (above <= 0 || below_n < 2) continue;
    if (run_acc > config_.max_sequences || above >= 0.5 * n) continue;
    const double m = below_sum / below_n;
    const double s = std::sqrt(std::max(0.0, below_sq / below_n - m * m));
    const double score = ((mean_ - m) / mean_ + (sd_ - s) / sd_) / (above + run_acc * run_acc);
    if (score >= best) {
      best = score;
      best_k = k;
      best_max_below = below_max;
    }
  }
  if (best_k < 0) {
    epsilon_ = mean_ + config_.z_max * sd_;
    // everything at or below the top candidate
    double mb = -1e300;
    for (int k = 0; k < nz; ++k) mb = std::max(mb, bmax[k]);
    max_below_ = mb;
  } else {
    epsilon_ = mean_ + (config_.z_min + best_k * config_.z_step) * sd_;
    max_below_ = best_max_below;
  }
}

}  // namespace astraguard::detect
