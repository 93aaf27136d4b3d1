#pragma once
// Test helpers: deterministic synthetic series and .npy writing. Test-only.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace astraguard::detect::testing {

// Deterministic standard normal generator (xorshift64* + Box-Muller), identical on every
// platform.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : s_(seed ? seed : 1) {}
  double Uniform() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return ((s_ * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
  }
  double operator()() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }

 private:
  std::uint64_t s_;
};

// Nominal telemetry: an orbit-like sinusoid plus Gaussian noise.
inline std::vector<double> Nominal(std::size_t n, std::uint64_t seed, double level = 28.0,
                                   double amplitude = 1.0, double noise = 0.1, double period = 90.0,
                                   std::size_t phase = 0) {
  Normal g(seed);
  std::vector<double> v(n);
  for (std::size_t t = 0; t < n; ++t) {
    v[t] =
        level + amplitude * std::sin(6.283185307179586 * double(t + phase) / period) + noise * g();
  }
  return v;
}

// A .npy (version 1.0, '<f8', C order) image of a rows x cols matrix.
inline std::string NpyImage(const std::vector<double>& data, std::size_t rows, std::size_t cols) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(double));
  return out;
}

}  // namespace astraguard::detect::testing
