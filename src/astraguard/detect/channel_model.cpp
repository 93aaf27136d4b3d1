#include "astraguard/detect/channel_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

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

bool AllFinite(std::span<const double> v, double bound) {
  return std::all_of(v.begin(), v.end(),
                     [bound](double x) { return std::isfinite(x) && std::abs(x) <= bound; });
}

// The residual network's correction to the linear prediction (0 without one). Its layout in
// ChannelModel::mlp: W1 (hidden x mlp_lags, row-major), b1 (hidden), w2 (hidden), b2.
double MlpOut(const ChannelModel& m, const double* lags_newest_first) {
  if (m.mlp.empty()) return 0.0;
  const int h_n = m.mlp_hidden, k_n = m.mlp_lags;  // validated: k_n <= lags <= kMaxLags
  const double* w1 = m.mlp.data();
  const double* b1 = w1 + static_cast<std::size_t>(h_n) * k_n;
  const double* w2 = b1 + h_n;
  double x[kMaxLags];
  for (int k = 0; k < k_n; ++k) x[k] = (lags_newest_first[k] - m.mlp_mean) * m.mlp_scale;
  double out = w2[h_n];
  for (int h = 0; h < h_n; ++h) {
    double a = b1[h];
    for (int k = 0; k < k_n; ++k) a += w1[h * k_n + k] * x[k];
    out += w2[h] * std::tanh(a);
  }
  return out / m.mlp_scale;
}

double Predict(const ChannelModel& m, const double* lags_newest_first, const double* inputs) {
  const double* w = m.weights.data();
  double p = w[m.lags + m.num_inputs];
  for (int k = 0; k < m.lags; ++k) p += w[k] * lags_newest_first[k];
  for (int k = 0; k < m.num_inputs; ++k) p += w[m.lags + k] * inputs[k];
  return p + MlpOut(m, lags_newest_first);
}

}  // namespace

namespace {

// A smoothed error narrowed to float only once clamped to [0, kMaxError] (NaN -> kMaxError,
// unreachable with the finite training values FitChannelModel accepts).
float ErrorAsFloat(double e) {
  if (std::isnan(e)) e = DynamicThreshold::kMaxError;
  return static_cast<float>(std::clamp(e, 0.0, DynamicThreshold::kMaxError));
}

// The EWMA of |x_t - x_t-1| after a step that changed the value by `change` (|change| clamped
// to DynamicThreshold::kMaxError, so the state stays finite).
double NextVariability(double previous, double change, double weight) {
  const double d = std::min(std::abs(change), DynamicThreshold::kMaxError);
  return weight * d + (1 - weight) * previous;
}

struct Series {
  std::span<const double> values;
  std::span<const double> inputs;
  int num_inputs_stride = 0;  // columns in `inputs`
};

// Ridge fit of `m`'s predictor on target steps [begin, end). Features and target are centred
// first, so the penalty (ridge x the mean feature variance) does not depend on the offset of
// the values; the bias is unpenalised.
bool FitWeights(ChannelModel& m, const Series& s, std::size_t begin, std::size_t end,
                double ridge) {
  const int p = m.lags + m.num_inputs;  // features without the bias
  const int d = p + 1;
  std::vector<double> row(p);
  auto fill = [&](std::size_t t) {
    for (int k = 0; k < m.lags; ++k) row[k] = s.values[t - m.horizon - k];
    for (int k = 0; k < m.num_inputs; ++k) row[m.lags + k] = s.inputs[t * s.num_inputs_stride + k];
  };
  const double n = static_cast<double>(end - begin);
  std::vector<double> mean(p, 0.0);
  double ymean = 0.0;
  for (std::size_t t = begin; t < end; ++t) {
    fill(t);
    for (int i = 0; i < p; ++i) mean[i] += row[i];
    ymean += s.values[t];
  }
  for (double& v : mean) v /= n;
  ymean /= n;
  std::vector<double> xtx(static_cast<std::size_t>(p) * p, 0.0);
  std::vector<double> xty(p, 0.0);
  for (std::size_t t = begin; t < end; ++t) {
    fill(t);
    for (int i = 0; i < p; ++i) row[i] -= mean[i];
    const double y = s.values[t] - ymean;
    for (int i = 0; i < p; ++i) {
      if (row[i] == 0.0) continue;
      const double ri = row[i];
      for (int j = 0; j <= i; ++j) xtx[i * p + j] += ri * row[j];
      xty[i] += ri * y;
    }
  }
  double diag = 0.0;
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < i; ++j) xtx[j * p + i] = xtx[i * p + j];
    diag += xtx[i * p + i];
  }
  const double lambda = std::max(1e-12 * n, ridge * diag / p);
  for (int i = 0; i < p; ++i) xtx[i * p + i] += lambda;
  std::vector<double> w;
  if (!SolveSpd(xtx, xty, p, w)) return false;
  m.weights.assign(d, 0.0);
  double bias = ymean;
  for (int i = 0; i < p; ++i) {
    m.weights[i] = w[i];
    bias -= w[i] * mean[i];
  }
  m.weights[p] = bias;
  return true;
}

// Fits the residual network of `m` (whose linear weights are already fitted, and which has no
// network yet) on target steps [begin, end): one tanh hidden layer on the newest mlp_lags values,
// standardised with the mean and sd of the values there, trained on the linear predictor's
// residuals (same standardisation) by Adam (step 1e-3, mini-batches of 32, mlp_epochs passes),
// from a fixed seed: the same history always gives the same network.
void FitMlp(ChannelModel& m, const Series& s, std::size_t begin, std::size_t end,
            const DetectorConfig& c) {
  m.mlp.clear();
  m.mlp_hidden = m.mlp_lags = 0;
  m.mlp_mean = 0.0;
  m.mlp_scale = 1.0;
  if (c.mlp_hidden <= 0 || c.mlp_epochs <= 0 || end <= begin) return;
  const int H = c.mlp_hidden, K = std::min(c.mlp_lags, m.lags);
  std::vector<double> lag(m.lags);
  std::vector<double> X, Y;
  double mn = 0, sq = 0;
  const std::size_t n = end - begin;
  for (std::size_t t = begin; t < end; ++t) mn += s.values[t];
  mn /= double(n);
  for (std::size_t t = begin; t < end; ++t) sq += (s.values[t] - mn) * (s.values[t] - mn);
  const double sd = std::sqrt(sq / double(n));
  const double scale = sd > 1e-12 ? 1.0 / sd : 1.0;
  for (std::size_t t = begin; t < end; ++t) {
    for (int k = 0; k < m.lags; ++k) lag[k] = s.values[t - m.horizon - k];
    const double* in = m.num_inputs > 0 ? &s.inputs[t * s.num_inputs_stride] : nullptr;
    const double r = s.values[t] - Predict(m, lag.data(), in);  // no network yet: linear
    for (int k = 0; k < K; ++k) X.push_back((lag[k] - mn) * scale);
    Y.push_back(r * scale);
  }
  const std::size_t P = static_cast<std::size_t>(H) * K + 2 * H + 1;
  std::vector<double> w(P, 0.0), g(P), m1(P, 0.0), v1(P, 0.0);
  std::uint64_t st = 0x9E3779B97F4A7C15ULL;  // xorshift64*: uniform in [0, 1)
  auto uni = [&] {
    st ^= st >> 12;
    st ^= st << 25;
    st ^= st >> 27;
    return double((st * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < H * K; ++i) w[i] = (uni() * 2 - 1) / std::sqrt(double(K));
  for (int h = 0; h < H; ++h) w[H * K + H + h] = (uni() * 2 - 1) * 0.1;
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999;
  const std::size_t B = 32;
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::vector<double> a(H), z(H);
  long step = 0;
  for (int e = 0; e < c.mlp_epochs; ++e) {
    for (std::size_t i = n; i > 1; --i) {
      std::swap(order[i - 1], order[static_cast<std::size_t>(uni() * double(i)) % i]);
    }
    for (std::size_t b0 = 0; b0 < n; b0 += B) {
      std::fill(g.begin(), g.end(), 0.0);
      const std::size_t bn = std::min(B, n - b0);
      for (std::size_t j = 0; j < bn; ++j) {
        const std::size_t i = order[b0 + j];
        const double* x = &X[i * K];
        double out = w[P - 1];
        for (int h = 0; h < H; ++h) {
          double acc = w[H * K + h];
          for (int k = 0; k < K; ++k) acc += w[h * K + k] * x[k];
          z[h] = std::tanh(acc);
          out += w[H * K + H + h] * z[h];
        }
        const double d = 2 * (out - Y[i]) / double(bn);
        g[P - 1] += d;
        for (int h = 0; h < H; ++h) {
          g[H * K + H + h] += d * z[h];
          const double dh = d * w[H * K + H + h] * (1 - z[h] * z[h]);
          g[H * K + h] += dh;
          for (int k = 0; k < K; ++k) g[h * K + k] += dh * x[k];
        }
      }
      ++step;
      const double c1 = 1 - std::pow(b1, double(step)), c2 = 1 - std::pow(b2, double(step));
      for (std::size_t p = 0; p < P; ++p) {
        m1[p] = b1 * m1[p] + (1 - b1) * g[p];
        v1[p] = b2 * v1[p] + (1 - b2) * g[p] * g[p];
        w[p] -= lr * (m1[p] / c1) / (std::sqrt(v1[p] / c2) + 1e-8);
      }
    }
  }
  if (!AllFinite(w, kMaxMlpWeight)) return;  // diverged: the linear predictor alone
  m.mlp = std::move(w);
  m.mlp_hidden = H;
  m.mlp_lags = K;
  m.mlp_mean = mn;
  m.mlp_scale = scale;
}

// Smoothed absolute errors of `m` on target steps [begin, end); also the residual sd.
std::vector<float> SmoothedErrors(const ChannelModel& m, const Series& s, std::size_t begin,
                                  std::size_t end, double alpha, double& residual_sd,
                                  double& last) {
  std::vector<float> out;
  out.reserve(end - begin);
  std::vector<double> lag(m.lags);
  double sum = 0.0, sq = 0.0, ewma = 0.0;
  bool first = true;
  for (std::size_t t = begin; t < end; ++t) {
    for (int k = 0; k < m.lags; ++k) lag[k] = s.values[t - m.horizon - k];
    const double* in = m.num_inputs > 0 ? &s.inputs[t * s.num_inputs_stride] : nullptr;
    const double r = s.values[t] - Predict(m, lag.data(), in);
    sum += r;
    sq += r * r;
    const double e = std::abs(r);
    ewma = first ? e : alpha * e + (1 - alpha) * ewma;
    first = false;
    out.push_back(ErrorAsFloat(ewma));
  }
  const double n = std::max<double>(1.0, static_cast<double>(out.size()));
  residual_sd = std::sqrt(std::max(0.0, sq / n - (sum / n) * (sum / n)));
  last = ewma;
  return out;
}

}  // namespace

namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

}  // namespace

Status ValidateDetectorConfig(const DetectorConfig& c) {
  auto bad = [](std::string_view field, auto value, std::string_view rule) {
    return Invalid(fmt::format("config {}={} {}", field, value, rule));
  };
  const ThresholdConfig& t = c.threshold;
  for (auto [name, v] : {std::pair<const char*, double>{"ridge", c.ridge},
                         {"smoothing", c.smoothing},
                         {"min_error", c.min_error},
                         {"prune", c.prune},
                         {"stuck_factor", c.stuck_factor},
                         {"range_margin", c.range_margin},
                         {"var_factor", c.var_factor},
                         {"var_smoothing", c.var_smoothing},
                         {"holdout", c.holdout},
                         {"z_min", t.z_min},
                         {"z_max", t.z_max},
                         {"z_step", t.z_step}}) {
    if (!std::isfinite(v)) return bad(name, v, "must be finite");
  }
  if (c.lags < 1 || c.lags > kMaxLags) return bad("lags", c.lags, "must be 1..256");
  if (c.horizon < 1 || c.horizon > kMaxHorizon)
    return bad("horizon", c.horizon, "must be 1..10000");
  if (c.ridge < 0) return bad("ridge", c.ridge, "must be >= 0");
  if (c.smoothing < 0 || c.smoothing > 1) return bad("smoothing", c.smoothing, "must be in [0, 1]");
  if (c.holdout < 0 || c.holdout > 1) return bad("holdout", c.holdout, "must be in [0, 1]");
  if (c.min_error < 0) return bad("min_error", c.min_error, "must be >= 0");
  if (c.prune < 0) return bad("prune", c.prune, "must be >= 0");
  if (c.stuck_factor < 0) return bad("stuck_factor", c.stuck_factor, "must be >= 0");
  if (c.range_margin < 0) return bad("range_margin", c.range_margin, "must be >= 0");
  if (c.range_steps < 0) return bad("range_steps", c.range_steps, "must be >= 0");
  if (c.var_factor < 0) return bad("var_factor", c.var_factor, "must be >= 0");
  if (c.var_smoothing <= 0 || c.var_smoothing > 1) {
    return bad("var_smoothing", c.var_smoothing, "must be in (0, 1]");
  }
  if (c.prune_mode != 0 && c.prune_mode != 1)
    return bad("prune_mode", c.prune_mode, "must be 0 or 1");
  if (c.method != 0 && c.method != 1) return bad("method", c.method, "must be 0 or 1");
  if (c.warmup < 0) return bad("warmup", c.warmup, "must be >= 0");
  if (c.hold < 0) return bad("hold", c.hold, "must be >= 0");
  if (c.min_run < 0) return bad("min_run", c.min_run, "must be >= 0");
  if (c.stuck_min < 0) return bad("stuck_min", c.stuck_min, "must be >= 0");
  if (c.prime < 0) return bad("prime", c.prime, "must be >= 0");
  if (c.mlp_hidden < 0 || c.mlp_hidden > kMaxMlpHidden) {
    return bad("mlp_hidden", c.mlp_hidden, "must be 0..64");
  }
  if (c.mlp_lags < 1 || c.mlp_lags > kMaxLags) return bad("mlp_lags", c.mlp_lags, "must be 1..256");
  if (c.mlp_epochs < 0 || c.mlp_epochs > kMaxMlpEpochs) {
    return bad("mlp_epochs", c.mlp_epochs, "must be 0..1000");
  }
  if (c.discord_length < 2 || c.discord_length > kMaxDiscordLength) {
    return bad("discord_length", c.discord_length, "must be 2..1000");
  }
  if (c.max_reference < 0 || c.max_reference > kMaxReference) {
    return bad("max_reference", c.max_reference, "must be 0..100000");
  }
  if (t.window < 1 || t.window > DynamicThreshold::kMaxWindow) {
    return bad("window", t.window, "must be 1..100000");
  }
  if (t.recompute_every < 1 || t.recompute_every > DynamicThreshold::kMaxWindow) {
    return bad("recompute_every", t.recompute_every, "must be 1..100000");
  }
  if (t.z_step < DynamicThreshold::kMinZStep) return bad("z_step", t.z_step, "must be >= 0.001");
  if (t.z_min > t.z_max) return bad("z_min", t.z_min, "must be <= z_max");
  return Status::Ok();
}

Status ValidateChannelModel(const ChannelModel& m, const DetectorConfig& config) {
  if (Status s = ValidateDetectorConfig(config); !s.ok()) return s;
  auto bad = [&m](std::string_view field, std::string_view why) {
    return Invalid(fmt::format("channel {}: {} {}", m.name, field, why));
  };
  if (m.lags < 1 || m.lags > kMaxLags) return bad("lags", "must be 1..256");
  if (m.horizon < 1 || m.horizon > kMaxHorizon) return bad("horizon", "must be 1..10000");
  if (m.num_inputs < 0 || m.num_inputs > kMaxInputs) return bad("inputs", "must be 0..100000");
  if (m.method != 0 && m.method != 1) return bad("method", "must be 0 or 1");
  const std::size_t n_weights = static_cast<std::size_t>(m.lags + m.num_inputs + 1);
  if (m.weights.size() != n_weights) {
    return bad("weights",
               fmt::format("has {} values, lags + inputs + 1 = {}", m.weights.size(), n_weights));
  }
  if (!AllFinite(m.weights, std::numeric_limits<double>::max())) {
    return bad("weights", "must be finite");
  }
  const std::size_t n_tail = static_cast<std::size_t>(m.lags + m.horizon - 1);
  if (m.tail.size() != n_tail) {
    return bad("tail",
               fmt::format("has {} values, lags + horizon - 1 = {}", m.tail.size(), n_tail));
  }
  if (!AllFinite(m.tail, kMaxChannelMagnitude)) return bad("tail", "must be finite, |v| <= 1e15");
  if (!AllFinite(std::span<const double>(&m.value_min, 1), kMaxChannelMagnitude)) {
    return bad("min", "must be finite, |v| <= 1e15");
  }
  if (!AllFinite(std::span<const double>(&m.value_max, 1), kMaxChannelMagnitude) ||
      m.value_max < m.value_min) {
    return bad("max", "must be finite, |v| <= 1e15 and >= min");
  }
  if (!std::isfinite(m.residual_sd) || m.residual_sd < 0) {
    return bad("residual_sd", "must be finite and >= 0");
  }
  if (!(m.last_smoothed >= 0 && m.last_smoothed <= DynamicThreshold::kMaxError)) {
    return bad("last", "must be in [0, 2^100]");
  }
  if (m.max_run < 0 || m.max_run > kMaxRun) return bad("max_run", "must be 0..1e15");
  if (!(m.var_max >= 0 && m.var_max <= DynamicThreshold::kMaxError)) {
    return bad("var_max", "must be in [0, 2^100]");
  }
  if (m.mlp.empty()) {
    if (m.mlp_hidden != 0) return bad("mlp", "has no weights for its hidden units");
  } else {
    const std::size_t h = static_cast<std::size_t>(m.mlp_hidden);
    const std::size_t k = static_cast<std::size_t>(m.mlp_lags);
    if (m.mlp_hidden < 1 || m.mlp_hidden > kMaxMlpHidden || m.mlp_lags < 1 || m.mlp_lags > m.lags) {
      return bad("mlp", "needs 1..64 hidden units on 1..lags inputs");
    }
    if (m.mlp.size() != h * k + 2 * h + 1) {
      return bad("mlp", fmt::format("has {} weights, {} x {} units need {}", m.mlp.size(), h, k,
                                    h * k + 2 * h + 1));
    }
    if (!AllFinite(m.mlp, kMaxMlpWeight)) return bad("mlp", "weights must be finite, |w| <= 1e9");
    if (!AllFinite(std::span<const double>(&m.mlp_mean, 1), kMaxChannelMagnitude) ||
        !(m.mlp_scale >= kMinMlpScale && m.mlp_scale <= kMaxMlpScale)) {
      return bad("mlp", "mean must be finite, |v| <= 1e15, scale in [1e-16, 1e13]");
    }
  }
  if (m.prime_errors.size() > static_cast<std::size_t>(DynamicThreshold::kMaxWindow)) {
    return bad("prime", "has more than 100000 values");
  }
  for (float e : m.prime_errors) {
    if (!(e >= 0 && e <= DynamicThreshold::kMaxError)) {
      return bad("prime", "values must be in [0, 2^100]");
    }
  }
  if (m.method == 0) {
    if (!m.reference.empty()) return bad("reference", "must be empty for method 0");
  } else {
    const std::size_t len = static_cast<std::size_t>(std::max(2, config.discord_length));
    if (m.reference.size() < 3 * len || m.reference.size() > std::size_t(kMaxReference)) {
      return bad("reference",
                 fmt::format("has {} values; method 1 with discord_length {} needs {}..{}",
                             m.reference.size(), len, 3 * len, kMaxReference));
    }
    if (!AllFinite(m.reference, kMaxChannelMagnitude)) {
      return bad("reference", "must be finite, |v| <= 1e15");
    }
  }
  return Status::Ok();
}

Result<ChannelModel> FitChannelModel(std::string name, std::span<const double> values,
                                     std::span<const double> inputs, int num_inputs,
                                     const DetectorConfig& config) {
  if (Status s = ValidateDetectorConfig(config); !s.ok()) {
    return Invalid(name + ": " + s.message());
  }
  if (!AllFinite(values, kMaxChannelMagnitude) ||
      !AllFinite(inputs, std::numeric_limits<double>::max())) {
    return Invalid(name + ": training values must be finite with |v| <= 1e15");
  }
  if (num_inputs < 0 || num_inputs > kMaxInputs) {
    return Invalid(name + ": " + std::to_string(num_inputs) + " inputs, at most 100000");
  }
  ChannelModel m;
  m.name = std::move(name);
  m.lags = std::clamp(config.lags, 1, kMaxLags);
  m.horizon = std::clamp(config.horizon, 1, kMaxHorizon);
  m.num_inputs = config.use_inputs ? num_inputs : 0;
  const std::size_t span_back = static_cast<std::size_t>(m.lags + m.horizon - 1);
  const std::size_t n = values.size();
  if (n < span_back + 10) {
    return Status::Error(Code::kInvalidArgument, m.name + ": " + std::to_string(n) +
                                                     " training steps, need at least " +
                                                     std::to_string(span_back + 10));
  }
  if (num_inputs > 0 && inputs.size() != n * static_cast<std::size_t>(num_inputs)) {
    return Status::Error(Code::kInvalidArgument, m.name + ": inputs do not match values");
  }
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  m.value_min = *mn;
  m.value_max = *mx;
  std::int64_t run = 1;
  m.max_run = 1;
  for (std::size_t t = 1; t < n; ++t) {
    run = values[t] == values[t - 1] ? run + 1 : 1;
    m.max_run = std::max(m.max_run, run);
  }
  m.var_max = 0.0;
  double variability = 0.0;
  for (std::size_t t = 1; t < n; ++t) {
    variability = NextVariability(variability, values[t] - values[t - 1], config.var_smoothing);
    m.var_max = std::max(m.var_max, variability);
  }
  const Series s{values, inputs, num_inputs};

  // Prime errors: from a held-out tail (model fitted on the head) when asked, so that the
  // threshold starts from honest out-of-sample error levels; otherwise in-sample.
  std::vector<float> prime;
  double sd = 0.0, last = 0.0;
  // holdout is in [0, 1] (ValidateDetectorConfig): the product is in [0, n], exact to cast.
  const auto cut = static_cast<std::size_t>(static_cast<double>(n) * (1.0 - config.holdout));
  if (config.holdout > 0 && cut >= span_back + 10 && n - cut >= 10) {
    if (!FitWeights(m, s, span_back, cut, config.ridge)) {
      return Status::Error(Code::kInternal, m.name + ": singular normal equations");
    }
    m.mlp.clear();
    FitMlp(m, s, span_back, cut, config);
    prime = SmoothedErrors(m, s, cut, n, config.smoothing, sd, last);
  }
  m.mlp.clear();
  if (!FitWeights(m, s, span_back, n, config.ridge)) {
    return Status::Error(Code::kInternal, m.name + ": singular normal equations");
  }
  FitMlp(m, s, span_back, n, config);
  double in_sd = 0.0, in_last = 0.0;
  std::vector<float> in_sample =
      SmoothedErrors(m, s, span_back, n, config.smoothing, in_sd, in_last);
  if (prime.empty()) {
    prime = std::move(in_sample);
    sd = in_sd;
  }
  m.residual_sd = sd;
  m.last_smoothed = in_last;
  m.method = config.method;
  if (config.method == 1) {
    const std::size_t len = static_cast<std::size_t>(std::max(2, config.discord_length));
    const std::size_t keep_ref =
        std::min<std::size_t>(n, static_cast<std::size_t>(std::max<int>(config.max_reference, 0)));
    m.reference.assign(values.end() - keep_ref, values.end());
    const std::vector<double>& r = m.reference;
    const std::size_t nr = r.size();
    if (nr < 3 * len) {
      return Status::Error(Code::kInvalidArgument, m.name + ": history too short for discords");
    }
    // Self-join: for each window end j, distance to the nearest window end i with |i-j| >= len,
    // by the diagonal recurrence d(i,j) = d(i-1,j-1) + (r_i-r_j)^2 - (r_{i-len}-r_{j-len})^2.
    std::vector<double> d(nr, 0.0), nd(nr, 0.0);
    std::vector<float> errs;
    double ewma = 0.0;
    bool first = true;
    for (std::size_t j = len - 1; j < nr; ++j) {
      for (std::size_t i = len - 1; i < nr; ++i) {
        if (j == len - 1 || i == len - 1) {
          double acc = 0.0;
          for (std::size_t k = 0; k < len; ++k) {
            const double diff = r[i - k] - r[j - k];
            acc += diff * diff;
          }
          nd[i] = acc;
        } else {
          const double a = r[i] - r[j];
          const double b = r[i - len] - r[j - len];
          nd[i] = d[i - 1] + a * a - b * b;
        }
      }
      std::swap(d, nd);
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t i = len - 1; i < nr; ++i) {
        if (i + len <= j || i >= j + len) best = std::min(best, d[i]);
      }
      if (!std::isfinite(best)) continue;
      const double e = std::sqrt(std::max(0.0, best) / double(len));
      ewma = first ? e : config.smoothing * e + (1 - config.smoothing) * ewma;
      first = false;
      errs.push_back(ErrorAsFloat(ewma));
    }
    prime = std::move(errs);
    m.last_smoothed = ewma;
  }
  const std::size_t keep = std::min<std::size_t>(prime.size(), std::max(0, config.prime));
  m.prime_errors.assign(prime.end() - keep, prime.end());
  m.tail.assign(values.end() - span_back, values.end());
  return m;
}

ChannelDetector::ChannelDetector(const ChannelModel& model, const DetectorConfig& config)
    : model_(model),
      config_(config),
      inert_(!ValidateChannelModel(model, config).ok()),
      threshold_(config.threshold) {
  if (inert_) return;
  const std::size_t h = static_cast<std::size_t>(model.lags + model.horizon - 1);
  hist_.assign(h, model.tail.empty() ? 0.0 : model.tail.back());
  for (std::size_t i = 0; i < model.tail.size() && i < h; ++i) {
    hist_[i] = model.tail[model.tail.size() - std::min(h, model.tail.size()) + i];
  }
  smoothed_ = model.last_smoothed;
  threshold_.Prime(model.prime_errors);
  if (!model.tail.empty()) {
    last_value_ = model.tail.back();
    repeats_ = 0;  // a repetition across the train/live boundary is not counted
  }
  if (model.method == 1) {
    // Validated: 2 <= len <= kMaxDiscordLength and reference.size() >= 3 * len, so every
    // window and distance index of RefreshDistances / DiscordError is inside the reference.
    const std::size_t len = static_cast<std::size_t>(std::max(2, config.discord_length));
    win_.assign(model.reference.end() - len, model.reference.end());
    win_head_ = 0;
    dist_.assign(model.reference.size(), 0.0);
    RefreshDistances();
  }
}

void ChannelDetector::RefreshDistances() {
  const auto& r = model_.reference;
  const std::size_t len = win_.size();
  for (std::size_t i = len - 1; i < r.size(); ++i) {
    double acc = 0.0;
    for (std::size_t k = 0; k < len; ++k) {
      const double diff = win_[(win_head_ + len - 1 - k) % len] - r[i - k];
      acc += diff * diff;
    }
    dist_[i] = acc;
  }
  since_refresh_ = 0;
}

double ChannelDetector::DiscordError(double value) {
  const auto& r = model_.reference;
  const std::size_t len = win_.size();
  const double oldest = win_[win_head_];
  for (std::size_t i = r.size() - 1; i >= len; --i) {
    const double a = value - r[i];
    const double b = oldest - r[i - len];
    dist_[i] = dist_[i - 1] + a * a - b * b;
  }
  win_[win_head_] = value;
  win_head_ = (win_head_ + 1) % len;
  if (++since_refresh_ >= 1024) {
    RefreshDistances();
  } else {
    double acc = 0.0;
    for (std::size_t k = 0; k < len; ++k) {
      const double diff = win_[(win_head_ + len - 1 - k) % len] - r[len - 1 - k];
      acc += diff * diff;
    }
    dist_[len - 1] = acc;
  }
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = len - 1; i < r.size(); ++i) best = std::min(best, dist_[i]);
  return std::sqrt(std::max(0.0, best) / double(len));
}

std::size_t ChannelDetector::MemoryBytes() const {
  return sizeof(*this) - sizeof(threshold_) + threshold_.MemoryBytes() +
         (hist_.capacity() + win_.capacity() + dist_.capacity()) * sizeof(double);
}

ChannelStep ChannelDetector::Step(double value, std::span<const double> inputs) {
  ChannelStep out;
  if (inert_) {
    out.prediction = std::isfinite(value) ? value : 0.0;
    ++step_;
    return out;
  }
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
  pred += MlpOut(model_, lagbuf);
  // Finite weights times finite lags can still overflow: fall back to the newest lag value.
  if (!std::isfinite(pred)) pred = lagbuf[0];
  // A missing value neither alarms nor corrupts state; a value beyond the magnitude bound is
  // flagged, and only its clamped form enters the state (lag ring, discord window).
  const bool missing = !std::isfinite(value);
  out.out_of_range = !missing && std::abs(value) > kMaxChannelMagnitude;
  if (missing) value = pred;
  value = std::clamp(value, -kMaxChannelMagnitude, kMaxChannelMagnitude);
  double err = model_.method == 1 && !win_.empty() ? DiscordError(value)
               : missing                           ? 0.0
                                                   : std::abs(value - pred);
  err = std::isnan(err) ? DynamicThreshold::kMaxError : std::min(err, DynamicThreshold::kMaxError);
  // A convex combination of values in [0, kMaxError] stays there.
  smoothed_ = config_.smoothing * err + (1 - config_.smoothing) * smoothed_;

  double eff = threshold_.epsilon();
  eff = std::max(eff, (1 + config_.prune) * (config_.prune_mode == 1 ? threshold_.max_all()
                                                                     : threshold_.max_below()));
  eff = std::max(eff, config_.min_error * model_.Range());
  out.prediction = pred;
  out.error = smoothed_;
  out.threshold = eff;
  above_run_ = smoothed_ > eff ? above_run_ + 1 : 0;
  const double previous = last_value_;
  repeats_ = value == last_value_ ? repeats_ + 1 : 1;
  last_value_ = value;
  out.repeats = repeats_;
  out.stuck = config_.stuck_factor > 0 && model_.Range() > 0 &&
              double(repeats_) > std::max(config_.stuck_factor * double(model_.max_run),
                                          double(config_.stuck_min));
  const double margin = config_.range_margin * model_.Range();
  const bool beyond = !missing && model_.Range() > 0 &&
                      (value > model_.value_max + margin || value < model_.value_min - margin);
  outside_run_ = beyond ? outside_run_ + 1 : 0;
  out.outside = config_.range_steps > 0 && outside_run_ == config_.range_steps;
  if (!missing) {
    variability_ = NextVariability(variability_, value - previous, config_.var_smoothing);
  }
  // Onset only: once above the limit, the rule re-arms when variability is back within the
  // training maximum, so a long excursion (or one hovering at the limit) flags once.
  if (config_.var_factor > 0 && model_.var_max > 0) {
    if (!variable_ && variability_ > config_.var_factor * model_.var_max) {
      out.variable = variable_ = true;
    } else if (variable_ && variability_ <= model_.var_max) {
      variable_ = false;
    }
  }
  out.variability = variability_;
  out.flagged = out.out_of_range ||
                (step_ >= config_.warmup &&
                 (above_run_ >= config_.min_run || out.stuck || out.outside || out.variable));
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

Status SetDetectorParam(DetectorConfig& c, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos) {
    return Status::Error(Code::kInvalidArgument, "expected key=value, got " + assignment);
  }
  const std::string key = assignment.substr(0, eq);
  double v = 0;
  const char* first = assignment.data() + eq + 1;
  const char* last = assignment.data() + assignment.size();
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last || first == last || !std::isfinite(v) || std::abs(v) > 1e9) {
    return Status::Error(Code::kInvalidArgument, "not a usable number: " + assignment);
  }
  const int i = static_cast<int>(v);
  if (key == "lags")
    c.lags = i;
  else if (key == "horizon")
    c.horizon = i;
  else if (key == "use_inputs")
    c.use_inputs = v != 0;
  else if (key == "ridge")
    c.ridge = v;
  else if (key == "smoothing")
    c.smoothing = v;
  else if (key == "min_error")
    c.min_error = v;
  else if (key == "prune")
    c.prune = v;
  else if (key == "warmup")
    c.warmup = i;
  else if (key == "prune_mode")
    c.prune_mode = i;
  else if (key == "hold")
    c.hold = i;
  else if (key == "stuck_factor")
    c.stuck_factor = v;
  else if (key == "stuck_min")
    c.stuck_min = i;
  else if (key == "min_run")
    c.min_run = i;
  else if (key == "range_margin")
    c.range_margin = v;
  else if (key == "range_steps")
    c.range_steps = i;
  else if (key == "var_factor")
    c.var_factor = v;
  else if (key == "var_smoothing")
    c.var_smoothing = v;
  else if (key == "mlp_hidden")
    c.mlp_hidden = i;
  else if (key == "mlp_lags")
    c.mlp_lags = i;
  else if (key == "mlp_epochs")
    c.mlp_epochs = i;
  else if (key == "prime")
    c.prime = i;
  else if (key == "holdout")
    c.holdout = v;
  else if (key == "method")
    c.method = i;
  else if (key == "discord_length")
    c.discord_length = i;
  else if (key == "max_reference")
    c.max_reference = i;
  else if (key == "window")
    c.threshold.window = i;
  else if (key == "recompute_every")
    c.threshold.recompute_every = i;
  else if (key == "z_min")
    c.threshold.z_min = v;
  else if (key == "z_max")
    c.threshold.z_max = v;
  else if (key == "z_step")
    c.threshold.z_step = v;
  else if (key == "max_sequences")
    c.threshold.max_sequences = i;
  else
    return Status::Error(Code::kInvalidArgument, "unknown detector parameter " + key);
  return Status::Ok();
}

}  // namespace astraguard::detect
