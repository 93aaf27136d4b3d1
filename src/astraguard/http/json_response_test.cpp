#include "astraguard/http/json_response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <limits>

namespace astraguard::http {
namespace {

TEST(SerializeJsonTest, NumbersInShortestForm) {
  boost::json::object o;
  o["a"] = 28.5;
  o["b"] = 1.0;
  o["c"] = -3;
  o["d"] = 0.001;
  o["e"] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(SerializeJson(o), R"({"a":28.5,"b":1,"c":-3,"d":0.001,"e":null})");
}

TEST(SerializeJsonTest, EscapesStringsAndRoundTrips) {
  boost::json::value v = {{"k\"ey", "line\nbreak\x01\\ \xc3\xa9"}, {"arr", {true, nullptr, 2}}};
  std::string s = SerializeJson(v);
  EXPECT_EQ(boost::json::parse(s), v);
  EXPECT_NE(s.find("\\u0001"), std::string::npos);
}

}  // namespace
}  // namespace astraguard::http
