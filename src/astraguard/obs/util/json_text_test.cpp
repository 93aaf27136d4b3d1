#include "astraguard/obs/util/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace astraguard::obs {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("l1\nl2\r\t"), R"("l1\nl2\r\t")");
  EXPECT_EQ(Quoted(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
}

TEST(JsonTextTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  // stray continuation, truncated 2-byte, overlong '/', UTF-16 surrogate, > U+10FFFF
  EXPECT_EQ(Quoted("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(Quoted("\xC3"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(Quoted("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(Quoted("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(Quoted("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonTextTest, KeepsValidMultibyteUtf8) {
  EXPECT_EQ(Quoted("NOMINAL_OPS \xE2\x86\x92 LAUNCH \xF0\x9F\x9B\xB0"),
            "\"NOMINAL_OPS \xE2\x86\x92 LAUNCH \xF0\x9F\x9B\xB0\"");
}

TEST(JsonTextTest, EveryByteStringParsesAsJson) {
  // All 256 single bytes and all 65536 byte pairs must yield parseable JSON.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      char s[3] = {static_cast<char>(a), static_cast<char>(b), '\xE2'};
      std::string doc = Quoted(std::string_view(s, 3));
      boost::system::error_code ec;
      auto v = boost::json::parse(doc, ec);
      ASSERT_FALSE(ec) << "bytes " << a << "," << b << " -> " << doc;
      ASSERT_TRUE(v.is_string());
    }
  }
}

TEST(JsonTextTest, SpecialByteAtEveryPositionOfLongStringsIsHandled) {
  // Exercises the 8-bytes-at-a-time fast paths: one special byte at each position.
  const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' ', '~'};
  for (std::size_t len : {8u, 9u, 16u, 23u, 40u}) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (char sp : specials) {
        std::string in(len, 'a');
        in[pos] = sp;
        auto v = boost::json::parse(Quoted(in));
        EXPECT_EQ(v.as_string(), in) << "len " << len << " pos " << pos << " byte " << int(sp);
      }
      std::string bad(len, 'b');
      bad[pos] = '\xff';
      std::string expected = bad.substr(0, pos) + "\xEF\xBF\xBD" + bad.substr(pos + 1);
      EXPECT_EQ(boost::json::parse(Quoted(bad)).as_string(), expected);
      EXPECT_FALSE(IsValidUtf8(bad));
      EXPECT_EQ(SanitizeUtf8(bad), expected);
    }
  }
  EXPECT_TRUE(IsValidUtf8("plain ascii text, long enough \xC3\xA9 and more ascii"));
}

TEST(JsonTextTest, NonFiniteNumbersBecomeNull) {
  std::string out;
  AppendJsonNumber(out, std::numeric_limits<double>::quiet_NaN());
  out += ',';
  AppendJsonNumber(out, std::numeric_limits<double>::infinity());
  out += ',';
  AppendJsonNumber(out, 0.25);
  out += ',';
  AppendJsonNumber(out, std::int64_t{-42});
  EXPECT_EQ(out, "null,null,0.25,-42");
}

TEST(JsonTextTest, SanitizeUtf8LeavesValidTextUnchanged) {
  EXPECT_EQ(SanitizeUtf8("h\xC3\xA9llo"), "h\xC3\xA9llo");
  EXPECT_EQ(SanitizeUtf8("h\xFFi"), "h\xEF\xBF\xBDi");
}

}  // namespace
}  // namespace astraguard::obs

namespace astraguard::obs {
namespace {

TEST(JsonTextTest, PlainTextNeedsNoEscaping) {
  for (std::string_view s : {"", "POST", "/api/v1/satellites/{id}", "127.0.0.1", "::1", "~ !#$%"})
    EXPECT_TRUE(IsPlainJsonText(s)) << s;
  for (std::string_view s : std::initializer_list<std::string_view>{
           "a\"b", "a\\b", "line\n", "tab\t", "del\x7f", "\x80", "caf\xc3\xa9",
           std::string_view("nul\0x", 5)})
    EXPECT_FALSE(IsPlainJsonText(s)) << s;
}

}  // namespace
}  // namespace astraguard::obs
