#pragma once
// DynamicThreshold: a streaming, incremental form of the nonparametric dynamic threshold of
// Hundman et al., "Detecting Spacecraft Anomalies Using LSTMs and Nonparametric Dynamic
// Thresholding" (KDD 2018).
//
// It keeps the last `window` smoothed prediction errors in a ring buffer. Every
// `recompute_every` pushes it picks, among candidates eps = mean + z * sd (z from z_min to z_max
// in z_step), the one that maximises
//     (delta_mean / mean + delta_sd / sd) / (n_above + n_sequences^2)
// where delta_* is the drop in mean and spread when the errors above eps are removed. The
// recompute is one O(window) pass whatever the number of candidates: each error falls in a
// bucket between consecutive candidates, and per-bucket counts, sums, maxima and run starts are
// prefix-summed. Between recomputes a push is O(1).
//
// Thread-safety: not thread-safe; owned by one channel state. Memory: window * 4 bytes + O(1).

#include <cstdint>
#include <span>
#include <vector>

namespace astraguard::detect {

struct ThresholdConfig {
  int window = 2000;          // errors kept (steps)
  int recompute_every = 10;   // pushes between recomputes
  double z_min = 2.5;          // as telemanom's search, which starts at 2.5 sd
  double z_max = 10.0;
  double z_step = 0.5;
  int max_sequences = 5;      // candidates producing more runs above eps are rejected
};

class DynamicThreshold final {
 public:
  explicit DynamicThreshold(const ThresholdConfig& config);

  // Adds one smoothed error; recomputes the threshold when due.
  void Push(double error);
  // Fills the window from history (e.g. training errors) and recomputes.
  void Prime(std::span<const float> errors);

  // Current threshold (+infinity until the window holds at least two errors).
  double epsilon() const { return epsilon_; }
  // Largest windowed error at or below epsilon at the last recompute.
  double max_below() const { return max_below_; }
  // Largest windowed error at the last recompute.
  double max_all() const { return max_all_; }
  double mean() const { return mean_; }
  double sd() const { return sd_; }
  std::size_t size() const { return size_; }
  std::size_t MemoryBytes() const { return sizeof(*this) + ring_.capacity() * sizeof(float); }

  void Recompute();

 private:
  ThresholdConfig config_;
  int num_z_;
  std::vector<float> ring_;
  std::size_t head_ = 0;  // next write position
  std::size_t size_ = 0;
  int since_recompute_ = 0;
  double epsilon_;
  double max_below_ = 0.0;
  double max_all_ = 0.0;
  double mean_ = 0.0;
  double sd_ = 0.0;
};

}  // namespace astraguard::detect
