#include "astraguard/detect/channel_model.hpp"

#include <algorithm>
#include <cmath>

namespace astraguard::detect {
namespace {

// Solves (A) x = b for symmetric positive definite A (d x d, row-major) by Cholesky.
bool SolveSpd(std::vector<double> a, std::vector<double> b, int d, std::vector<double>& x) {
  for (int j = 0; j < d; ++j) {
    double s = a[j * d + j];
    for (int k = 0; k < j; ++k) s -= a[j * d + k] * a[j * d + k];
    if (s <= 0) return false;
    const double l = std::sqrt(s);
    a[j * d + j] = l;
    for (int i = j + 1; i < d; ++i) {
      double t = a[i * d + j];
      for (int k = 0; k < j; ++k) t -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = t / l;
    }
  }
  for (int i = 0; i < d; ++i) {  // forward: L y = b
    double t = b[i];
    for (int k = 0; k < i; ++k) t -= a[i * d + k] * b[k];
    b[i] = t / a[i * d + i];
  }
  for (int i = d - 1; i >= 0; --i) {  // backward: L' x = y
    double t = b[i];
    for (int k = i + 1; k < d; ++k) t -= a[k * d + i] * b[k];
    b[i] = t / a[i * d + i];
  }
  x = std::move(b);
  return true;
}

double Predict(const ChannelModel& m, const double* lags_newest_first, const double* inputs) {
  const double* w = m.weights.data();
  double p = w[m.lags + m.num_inputs];
  for (int k = 0; k < m.lags; ++k) p += w[k] * lags_newest_first[k];
  for (int k = 0; k < m.num_inputs; ++k) p += w[m.lags + k] * inputs[k];
  return p;
}

}  // namespace

Result<ChannelModel> FitChannelModel(std::string name, std::span<const double> values,
                                     std::span<const double> inputs, int num_inputs,
                                     const DetectorConfig& config) {
  ChannelModel m;
  m.name = std::move(name);
  m.lags = std::max(1, config.lags);
  m.horizon = std::max(1, config.horizon);
  m.num_inputs = config.use_inputs ? num_inputs : 0;
  const int span_back = m.lags + m.horizon - 1;
  const std::size_t n = values.size();
  if (n < static_cast<std::size_t>(span_back + 10)) {
    return Status::Error(Code::kInvalidArgument,
                         m.name + ": " + std::to_string(n) + " training steps, need at least " +
                             std::to_string(span_back + 10));
  }
  if (num_inputs > 0 && inputs.size() != n * static_cast<std::size_t>(num_inputs)) {
    return Status::Error(Code::kInvalidArgument, m.name + ": inputs do not match values");
  }
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  m.value_min = *mn;
  m.value_max = *mx;

  const int d = m.lags + m.num_inputs + 1;
  std::vector<double> xtx(static_cast<std::size_t>(d) * d, 0.0);
  std::vector<double> xty(d, 0.0);
  std::vector<double> row(d);
  auto fill_row = [&](std::size_t t) {
    for (int k = 0; k < m.lags; ++k) row[k] = values[t - m.horizon - k];
    for (int k = 0; k < m.num_inputs; ++k) {
      row[m.lags + k] = inputs[t * num_inputs + k];
    }
    row[d - 1] = 1.0;
  };
  for (std::size_t t = span_back; t < n; ++t) {
    fill_row(t);
    for (int i = 0; i < d; ++i) {
      if (row[i] == 0.0) continue;
      const double ri = row[i];
      for (int j = 0; j <= i; ++j) xtx[i * d + j] += ri * row[j];
      xty[i] += ri * values[t];
    }
  }
  double diag = 0.0;
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < i; ++j) xtx[j * d + i] = xtx[i * d + j];
    diag += xtx[i * d + i];
  }
  const double lambda = std::max(1e-9, config.ridge * diag / d);
  for (int i = 0; i < d - 1; ++i) xtx[i * d + i] += lambda;
  xtx[(d - 1) * d + (d - 1)] += 1e-9;
  if (!SolveSpd(xtx, xty, d, m.weights)) {
    return Status::Error(Code::kInternal, m.name + ": singular normal equations");
  }

  // Training residuals: standard deviation and smoothed errors for priming.
  std::vector<float> smoothed;
  smoothed.reserve(n);
  double s = 0.0;
  double sq = 0.0;
  double ewma = 0.0;
  bool first = true;
  std::vector<double> lag(m.lags);
  for (std::size_t t = span_back; t < n; ++t) {
    for (int k = 0; k < m.lags; ++k) lag[k] = values[t - m.horizon - k];
    const double* in = m.num_inputs > 0 ? &inputs[t * num_inputs] : nullptr;
    const double r = values[t] - Predict(m, lag.data(), in);
    s += r;
    sq += r * r;
    const double e = std::abs(r);
    ewma = first ? e : config.smoothing * e + (1 - config.smoothing) * ewma;
    first = false;
    smoothed.push_back(static_cast<float>(ewma));
  }
  const double cnt = static_cast<double>(smoothed.size());
  m.residual_sd = std::sqrt(std::max(0.0, sq / cnt - (s / cnt) * (s / cnt)));
  m.last_smoothed = ewma;
  const std::size_t keep = std::min<std::size_t>(smoothed.size(), std::max(0, config.prime));
  m.prime_errors.assign(smoothed.end() - keep, smoothed.end());
  m.tail.assign(values.end() - span_back, values.end());
  return m;
}

ChannelDetector::ChannelDetector(const ChannelModel& model, const DetectorConfig& config)
    : model_(model), config_(config), threshold_(config.threshold) {
  const std::size_t h = static_cast<std::size_t>(model.lags + model.horizon - 1);
  hist_.assign(h, model.tail.empty() ? 0.0 : model.tail.back());
  for (std::size_t i = 0; i < model.tail.size() && i < h; ++i) {
    hist_[i] = model.tail[model.tail.size() - std::min(h, model.tail.size()) + i];
  }
  smoothed_ = model.last_smoothed;
  threshold_.Prime(model.prime_errors);
}

std::size_t ChannelDetector::MemoryBytes() const {
  return sizeof(*this) - sizeof(threshold_) + threshold_.MemoryBytes() +
         hist_.capacity() * sizeof(double);
}

ChannelStep ChannelDetector::Step(double value, std::span<const double> inputs) {
  ChannelStep out;
  const int lags = model_.lags;
  const std::size_t h = hist_.size();
  double lagbuf[256];
  const int use = std::min(lags, 256);
  // hist_ oldest at hist_head_; the k-th newest (k>=1) is at (head + h - k) % h.
  for (int k = 0; k < use; ++k) {
    lagbuf[k] = hist_[(hist_head_ + h - (model_.horizon + k)) % h];
  }
  const double* in = model_.num_inputs > 0 && inputs.size() >= std::size_t(model_.num_inputs)
                         ? inputs.data()
                         : nullptr;
  double pred = model_.weights[lags + model_.num_inputs];
  for (int k = 0; k < use; ++k) pred += model_.weights[k] * lagbuf[k];
  if (in != nullptr) {
    for (int k = 0; k < model_.num_inputs; ++k) pred += model_.weights[lags + k] * in[k];
  }
  if (!std::isfinite(value)) value = pred;  // a missing value neither alarms nor corrupts state
  const double err = std::abs(value - pred);
  smoothed_ = config_.smoothing * err + (1 - config_.smoothing) * smoothed_;

  double eff = threshold_.epsilon();
  eff = std::max(eff, (1 + config_.prune) * (config_.prune_mode == 1 ? threshold_.max_all()
                                                                   : threshold_.max_below()));
  eff = std::max(eff, config_.min_error * model_.Range());
  out.prediction = pred;
  out.error = smoothed_;
  out.threshold = eff;
  out.flagged = step_ >= config_.warmup && smoothed_ > eff;
  threshold_.Push(smoothed_);

  if (open_start_ >= 0 && step_ > last_flag_ + config_.hold) {
    out.closed = true;
    out.closed_start = open_start_;
    out.closed_end = last_flag_ + config_.hold;
    open_start_ = -1;
  }
  if (out.flagged) {
    if (open_start_ < 0) {
      open_start_ = step_;
      out.opened = true;
    }
    last_flag_ = step_;
  }
  out.in_alarm = open_start_ >= 0;
  hist_[hist_head_] = value;
  hist_head_ = (hist_head_ + 1) % h;
  ++step_;
  return out;
}

}  // namespace astraguard::detect
