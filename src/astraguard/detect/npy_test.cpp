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
