#pragma once
// Reading gzip-compressed NumPy .npy arrays (float64, little-endian, C order, 1-D or 2-D), the
// format of the NASA SMAP/MSL development split. Used by training and evaluation, never on the
// request path.
//
// Thread-safety: free functions without shared state; safe to call concurrently.

#include <cstddef>
#include <string>
#include <vector>

#include "astraguard/common/status.hpp"

namespace astraguard::detect {

// A dense row-major matrix of doubles: `rows` steps by `cols` columns.
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> data;  // rows * cols values, row-major

  const double* Row(std::size_t r) const { return data.data() + r * cols; }
  double At(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
};

// Largest (decompressed) .npy image LoadNpyGz reads: 1 GiB, 134 M float64 values; the largest
// SMAP/MSL array is a few MB.
inline constexpr std::size_t kMaxNpyBytes = std::size_t{1} << 30;

// Parses an in-memory .npy image. Errors name what is wrong (magic, dtype, order, size); the
// shape's product and byte size are overflow-checked before they are compared with the payload.
Result<Matrix> ParseNpy(const std::string& bytes);

// Reads `path` (gzip or plain; zlib detects which), at most kMaxNpyBytes decompressed, and
// parses it as .npy.
Result<Matrix> LoadNpyGz(const std::string& path);

}  // namespace astraguard::detect
