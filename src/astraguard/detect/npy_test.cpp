#include "astraguard/detect/npy.hpp"

#include <gtest/gtest.h>

#include "astraguard/detect/testing_util.hpp"

namespace astraguard::detect {
namespace {

TEST(NpyTest, ParsesTwoDimensionalFloat64) {
  std::vector<double> d{1, 2, 3, 4, 5, 6};
  auto m = ParseNpy(testing::NpyImage(d, 3, 2));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->rows, 3u);
  EXPECT_EQ(m->cols, 2u);
  EXPECT_EQ(m->At(2, 1), 6.0);
}

TEST(NpyTest, RejectsBadMagicAndShortPayload) {
  EXPECT_FALSE(ParseNpy("not numpy at all").ok());
  std::string img = testing::NpyImage({1, 2, 3, 4}, 2, 2);
  img.resize(img.size() - 8);
  auto m = ParseNpy(img);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("payload"), std::string::npos);
}

TEST(NpyTest, MissingFileIsNotFound) {
  auto m = LoadNpyGz("/nonexistent/x.npy.gz");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace astraguard::detect

namespace astraguard::detect {
namespace {

// An .npy image with a hand-written shape and `payload` bytes of data.
std::string NpyWithShape(const std::string& shape, std::size_t payload) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(payload, '\0');
}

// Regression: rows * cols wrapped around to 0, an empty payload passed the size check, and
// `train` aborted on a matrix claiming 2^62 rows.
TEST(NpyHostileTest, ShapeProductOverflowIsAnError) {
  EXPECT_TRUE(ParseNpy(NpyWithShape("(2, 3)", 48)).ok());
  for (const char* shape : {"(4611686018427387904, 4)",       // 2^62 x 4 = 2^64 -> 0
                            "(2305843009213693952,)",         // 2^61 x 8 bytes -> 0
                            "(4294967296, 4294967296)",       // 2^32 x 2^32 -> 0
                            "(99999999999999999999999999,)"}) {  // the digits overflow
    auto m = ParseNpy(NpyWithShape(shape, 0));
    ASSERT_FALSE(m.ok()) << shape;
    EXPECT_NE(m.status().message().find("too large"), std::string::npos)
        << shape << ": " << m.status().message();
  }
}

// A (n, 0) array passed the size check with an empty payload, and `train` then reserved
// rows * (cols - 1) = rows * SIZE_MAX inputs.
TEST(NpyHostileTest, ZeroColumnsIsAnError) {
  auto m = ParseNpy(NpyWithShape("(1000, 0)", 0));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no columns"), std::string::npos) << m.status().message();
}

}  // namespace
}  // namespace astraguard::detect
