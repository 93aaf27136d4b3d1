#include "astraguard/http/json_response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdint>
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

TEST(SerializeJsonTest, LargeAndSmallDoublesStayInFixedNotation) {
  boost::json::object o;
  o["a"] = 100000.0;
  o["b"] = 0.0001;
  o["c"] = 1e15;
  o["d"] = 1e16;
  o["e"] = std::numeric_limits<double>::quiet_NaN();
  o["f"] = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(SerializeJson(o),
            R"({"a":100000,"b":0.0001,"c":1000000000000000,"d":1e+16,"e":null,)"
            R"("f":18446744073709551615})");
}

TEST(SerializeJsonTest, InvalidUtf8BecomesReplacementCharacter) {
  boost::json::object o;
  o["k"] = boost::json::string("a\xff\x7f");
  std::string s = SerializeJson(o);
  EXPECT_EQ(s, "{\"k\":\"a\xef\xbf\xbd\\u007f\"}");
  EXPECT_NO_THROW(boost::json::parse(s));
}

}  // namespace
}  // namespace astraguard::http
