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

namespace astraguard::detect {
namespace {

// Hostile errors (regression: a smoothed error of 1e300 became +inf as float, the running sums
// inf - inf, and the bucket index static_cast<int>(NaN) wrote ~16 GiB out of bounds).
TEST(DynamicThresholdHostileTest, HugeAndOddErrorsKeepEveryStatisticFinite) {
  const double kHostile[] = {1e300,
                             -1e300,
                             1e40,
                             1.2e40,
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::denorm_min(),
                             -std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<float>::denorm_min(),
                             std::numeric_limits<double>::min()};
  for (double hostile : kHostile) {
    ThresholdConfig c;
    c.window = 64;
    c.recompute_every = 4;
    DynamicThreshold th(c);
    th.Push(hostile);  // first error of a fresh window, as on a new satellite's first record
    for (int t = 0; t < 200; ++t) {
      th.Push(t % 5 == 0 ? hostile : 0.01 * (t % 7));
      ASSERT_TRUE(std::isfinite(th.mean())) << hostile << " at " << t;
      ASSERT_TRUE(std::isfinite(th.sd())) << hostile << " at " << t;
      ASSERT_FALSE(std::isnan(th.epsilon())) << hostile << " at " << t;
      ASSERT_FALSE(std::isnan(th.max_below())) << hostile << " at " << t;
    }
    th.Recompute();
    EXPECT_TRUE(std::isfinite(th.epsilon())) << hostile;
    EXPECT_LE(th.max_all(), DynamicThreshold::kMaxError) << hostile;
  }
}

TEST(DynamicThresholdHostileTest, WindowOfDenormalsIsSafe) {
  ThresholdConfig c;
  c.window = 32;
  DynamicThreshold th(c);
  std::vector<float> prime(32, std::numeric_limits<float>::denorm_min());
  prime[7] = 0.0f;
  prime[9] = 2 * std::numeric_limits<float>::denorm_min();
  th.Prime(prime);
  for (int t = 0; t < 100; ++t) th.Push(t % 2 ? 0.0 : std::numeric_limits<double>::denorm_min());
  EXPECT_FALSE(std::isnan(th.epsilon()));
  EXPECT_TRUE(std::isfinite(th.mean()));
}

TEST(DynamicThresholdHostileTest, PrimeSkipsNanAndClampsInfinity) {
  ThresholdConfig c;
  c.window = 16;
  DynamicThreshold th(c);
  std::vector<float> prime(16, 0.5f);
  prime[3] = std::numeric_limits<float>::quiet_NaN();
  prime[4] = std::numeric_limits<float>::infinity();
  th.Prime(prime);
  EXPECT_EQ(th.size(), 15u);  // the NaN was skipped
  EXPECT_TRUE(std::isfinite(th.mean()));
  EXPECT_LE(th.max_all(), DynamicThreshold::kMaxError);
}

TEST(DynamicThresholdHostileTest, ConfigIsSanitised) {
  ThresholdConfig c;
  c.window = 1'000'000'000;     // a crafted model asked for 4 GB per channel
  c.recompute_every = 0;
  c.z_step = 1e-9;              // (z_max - z_min) / z_step = 7.5e9 > INT_MAX
  DynamicThreshold th(c);
  EXPECT_EQ(th.config().window, DynamicThreshold::kMaxWindow);
  EXPECT_LE(th.MemoryBytes(), DynamicThreshold::kMaxWindow * sizeof(float) + 4096);
  EXPECT_EQ(th.config().recompute_every, 1);
  EXPECT_GE(th.config().z_step, DynamicThreshold::kMinZStep);
  EXPECT_EQ(th.candidates(), DynamicThreshold::kMaxCandidates);

  ThresholdConfig odd;
  odd.z_step = std::numeric_limits<double>::quiet_NaN();
  odd.z_min = std::numeric_limits<double>::infinity();
  odd.z_max = -5;
  DynamicThreshold th2(odd);
  EXPECT_GT(th2.config().z_step, 0);
  EXPECT_TRUE(std::isfinite(th2.config().z_min));
  EXPECT_GE(th2.candidates(), 1);
  for (int t = 0; t < 300; ++t) th2.Push(t % 3);
  EXPECT_TRUE(std::isfinite(th2.epsilon()));
}

}  // namespace
}  // namespace astraguard::detect
