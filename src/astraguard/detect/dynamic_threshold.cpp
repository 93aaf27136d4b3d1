#include "astraguard/detect/dynamic_threshold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace astraguard::detect {

namespace {

// A finite error within +/-kMaxError, safe to narrow to float; nullopt for NaN.
std::optional<float> Clamped(double e) {
  if (std::isnan(e)) return std::nullopt;
  return static_cast<float>(
      std::clamp(e, -DynamicThreshold::kMaxError, DynamicThreshold::kMaxError));
}

// The bucket of a scaled error r = (e - base) / (sd * z_step): 0 below the first candidate,
// k + 1 between candidates k and k + 1, nz above the last. The int cast only ever sees a value
// in [0, nz - 1); NaN (impossible with finite, clamped errors) is put below every candidate.
int Bucket(double r, int nz) {
  if (!(r >= 0)) return 0;  // negative or NaN
  if (r >= nz - 1) return nz;
  return static_cast<int>(r) + 1;
}

}  // namespace

DynamicThreshold::DynamicThreshold(const ThresholdConfig& config)
    : config_(config), epsilon_(std::numeric_limits<double>::infinity()) {
  const ThresholdConfig defaults;
  config_.window = std::clamp(config_.window, 16, kMaxWindow);
  config_.recompute_every = std::clamp(config_.recompute_every, 1, config_.window);
  if (!std::isfinite(config_.z_min) || !std::isfinite(config_.z_max) ||
      std::abs(config_.z_min) > 1e6 || std::abs(config_.z_max) > 1e6) {
    config_.z_min = defaults.z_min;
    config_.z_max = defaults.z_max;
  }
  if (!(config_.z_step > 0) || !std::isfinite(config_.z_step)) config_.z_step = defaults.z_step;
  config_.z_step = std::max(config_.z_step, kMinZStep);
  // Candidate count computed in double and clamped before the cast (a z range of 1e9 or a
  // z_max below z_min never reaches static_cast<int>).
  const double nz = std::floor((config_.z_max - config_.z_min) / config_.z_step + 1e-9) + 1;
  num_z_ = nz >= kMaxCandidates ? kMaxCandidates : (nz >= 1 ? static_cast<int>(nz) : 1);
  ring_.assign(static_cast<std::size_t>(config_.window), 0.0f);
  slice_ = (ring_.size() + config_.recompute_every - 1) / config_.recompute_every;
}

void DynamicThreshold::Store(float f) {
  if (size_ == ring_.size()) {
    const double old = ring_[head_];
    run_sum_ -= old;
    run_sq_ -= old * old;
  } else {
    ++size_;
  }
  ring_[head_] = f;
  run_sum_ += f;
  run_sq_ += double(f) * f;
  head_ = (head_ + 1) % ring_.size();
}

void DynamicThreshold::Push(double error) {
  const std::optional<float> f = Clamped(error);
  if (!f) return;
  Store(*f);
  Advance(slice_);
}

void DynamicThreshold::Prime(std::span<const float> errors) {
  std::size_t n = std::min(errors.size(), ring_.size());
  for (std::size_t i = errors.size() - n; i < errors.size(); ++i) {
    if (const std::optional<float> f = Clamped(errors[i])) Store(*f);
  }
  Recompute();
}

void DynamicThreshold::Recompute() {
  pass_active_ = false;
  StartPass();
  Advance(ring_.size());
}

void DynamicThreshold::StartPass() {
  if (size_ < 2) return;
  const std::size_t cap = ring_.size();
  pass_active_ = true;
  pass_start_ = (head_ + cap - size_) % cap;
  pass_n_ = size_;
  pass_pos_ = 0;
  pass_run_sum_at_start_ = run_sum_;
  pass_run_sq_at_start_ = run_sq_;
  const double n = static_cast<double>(size_);
  pass_mean_ = run_sum_ / n;
  pass_sd_ = std::sqrt(std::max(0.0, run_sq_ / n - pass_mean_ * pass_mean_));
  pass_base_ = pass_mean_ + config_.z_min * pass_sd_;
  // FinishPass ignores the buckets when pass_sd_ <= 1e-12, so they are only computed (with a
  // finite scale: sd > 1e-12, z_step >= kMinZStep) when they are used.
  pass_inv_ = pass_sd_ > 1e-12 ? 1.0 / (pass_sd_ * config_.z_step) : 0.0;
  pass_prev_ = 0;
  pass_exact_sum_ = 0.0;
  pass_exact_sq_ = 0.0;
  pass_max_ = 0.0;
  std::fill(std::begin(cnt_), std::end(cnt_), 0.0);
  std::fill(std::begin(bsum_), std::end(bsum_), 0.0);
  std::fill(std::begin(bsq_), std::end(bsq_), 0.0);
  std::fill(std::begin(bmax_), std::end(bmax_), -std::numeric_limits<double>::infinity());
  std::fill(std::begin(runs_), std::end(runs_), 0.0);
}

void DynamicThreshold::Advance(std::size_t budget) {
  if (!pass_active_) {
    StartPass();
    if (!pass_active_) return;
  }
  const std::size_t cap = ring_.size();
  const int nz = num_z_;
  const std::size_t end = std::min(pass_n_, pass_pos_ + budget);
  // Bucket j (0..nz) holds errors above exactly j candidates: eps_k < e for k < j.
  for (std::size_t i = pass_pos_; i < end; ++i) {
    std::size_t idx = pass_start_ + i;
    if (idx >= cap) idx -= cap;
    const double e = ring_[idx];
    pass_exact_sum_ += e;
    pass_exact_sq_ += e * e;
    pass_max_ = std::max(pass_max_, e);
    const int j = Bucket((e - pass_base_) * pass_inv_, nz);
    cnt_[j] += 1;
    bsum_[j] += e;
    bsq_[j] += e * e;
    if (e > bmax_[j]) bmax_[j] = e;
    if (j > pass_prev_) {  // a run above eps_k starts here for k in [prev, j)
      runs_[pass_prev_] += 1;
      runs_[j] -= 1;
    }
    pass_prev_ = j;
  }
  pass_pos_ = end;
  if (pass_pos_ >= pass_n_) FinishPass();
}

void DynamicThreshold::FinishPass() {
  pass_active_ = false;
  // Re-anchor the running sums on the exact sums of the evaluated window.
  run_sum_ = pass_exact_sum_ + (run_sum_ - pass_run_sum_at_start_);
  run_sq_ = pass_exact_sq_ + (run_sq_ - pass_run_sq_at_start_);
  const double n = static_cast<double>(pass_n_);
  mean_ = pass_exact_sum_ / n;
  sd_ = std::sqrt(std::max(0.0, pass_exact_sq_ / n - mean_ * mean_));
  max_all_ = pass_max_;
  if (pass_sd_ <= 1e-12 || mean_ <= 1e-12 || sd_ <= 1e-12) {
    epsilon_ = mean_ + config_.z_max * sd_;
    max_below_ = mean_;
    return;
  }
  const int nz = num_z_;
  double best = -std::numeric_limits<double>::infinity();
  int best_k = -1;
  double below_n = 0, below_sum = 0, below_sq = 0, run_acc = 0;
  double below_max = -std::numeric_limits<double>::infinity();
  double best_max_below = mean_;
  for (int k = 0; k < nz; ++k) {
    below_n += cnt_[k];
    below_sum += bsum_[k];
    below_sq += bsq_[k];
    below_max = std::max(below_max, bmax_[k]);
    run_acc += runs_[k];
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
    epsilon_ = pass_mean_ + config_.z_max * pass_sd_;
    double mb = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < nz; ++k) mb = std::max(mb, bmax_[k]);
    max_below_ = mb;
  } else {
    epsilon_ = pass_mean_ + (config_.z_min + best_k * config_.z_step) * pass_sd_;
    max_below_ = best_max_below;
  }
}

}  // namespace astraguard::detect
