#include "astraguard/detect/dynamic_threshold.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "astraguard/detect/testing_util.hpp"

namespace astraguard::detect {
namespace {

// Straightforward O(window x candidates) form of the same rule, as in Hundman et al.
double ReferenceEpsilon(const std::vector<float>& w, const ThresholdConfig& c) {
  const double n = w.size();
  double mean = 0, sq = 0;
  for (float e : w) mean += e, sq += double(e) * e;
  mean /= n;
  const double sd = std::sqrt(std::max(0.0, sq / n - mean * mean));
  double best = -std::numeric_limits<double>::infinity();
  double eps_best = mean + c.z_max * sd;
  const int nz = int(std::floor((c.z_max - c.z_min) / c.z_step + 1e-9)) + 1;
  for (int k = 0; k < nz; ++k) {
    const double eps = mean + (c.z_min + k * c.z_step) * sd;
    double bn = 0, bs = 0, bq = 0, above = 0, runs = 0;
    bool prev_above = false;
    for (float e : w) {
      const bool a = e > eps;
      if (a) {
        ++above;
        if (!prev_above) ++runs;
      } else {
        ++bn, bs += e, bq += double(e) * e;
      }
      prev_above = a;
    }
    if (above <= 0 || bn < 2 || runs > c.max_sequences || above >= 0.5 * n) continue;
    const double m = bs / bn;
    const double s = std::sqrt(std::max(0.0, bq / bn - m * m));
    const double score = ((mean - m) / mean + (sd - s) / sd) / (above + runs * runs);
    if (score >= best) best = score, eps_best = eps;
  }
  return eps_best;
}

TEST(DynamicThresholdTest, IncrementalMatchesReferenceOnRandomWindows) {
  ThresholdConfig c;
  c.window = 500;
  c.recompute_every = 1;
  DynamicThreshold th(c);
  testing::Normal g(7);
  std::vector<float> all;
  for (int t = 0; t < 2000; ++t) {
    double e = std::abs(g()) + ((t % 300) > 280 ? 4.0 : 0.0);  // recurring bursts
    all.push_back(static_cast<float>(e));
    th.Push(e);
    if (t % 97 == 0 && t > 10) {
      std::vector<float> w(all.end() - std::min<std::size_t>(all.size(), 500), all.end());
      EXPECT_NEAR(th.epsilon(), ReferenceEpsilon(w, c), 1e-6 * th.epsilon()) << "t=" << t;
    }
  }
}

TEST(DynamicThresholdTest, SeparatesABurstFromNoise) {
  ThresholdConfig c;
  c.window = 1000;
  DynamicThreshold th(c);
  testing::Normal g(3);
  double max_noise = 0, min_burst = 1e9;
  for (int t = 0; t < 1000; ++t) {
    const bool burst = t >= 900 && t < 910;
    const double e = 1.0 + 0.1 * g() + (burst ? 5.0 : 0.0);
    (burst ? min_burst : max_noise) = burst ? std::min(min_burst, e) : std::max(max_noise, e);
    th.Push(e);
  }
  th.Recompute();
  EXPECT_GT(th.epsilon(), max_noise);
  EXPECT_LT(th.epsilon(), min_burst);
  EXPECT_DOUBLE_EQ(th.max_below(), static_cast<float>(max_noise));
}

TEST(DynamicThresholdTest, UnprimedIsInfinite) {
  DynamicThreshold th(ThresholdConfig{});
  EXPECT_TRUE(std::isinf(th.epsilon()));
}

TEST(DynamicThresholdTest, MemoryIsBoundedByWindow) {
  ThresholdConfig c;
  c.window = 256;
  DynamicThreshold th(c);
  for (int t = 0; t < 10000; ++t) th.Push(t % 7);
  EXPECT_EQ(th.size(), 256u);
  EXPECT_LT(th.MemoryBytes(), 256 * sizeof(float) + 2048);
}

}  // namespace
}  // namespace astraguard::detect
