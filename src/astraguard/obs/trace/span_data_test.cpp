#include "astraguard/obs/trace/span_data.hpp"

#include <gtest/gtest.h>

#include <string>

namespace astraguard::obs {
namespace {

TEST(AttributeListTest, CopiesKeysAndValuesAndKeepsOrder) {
  AttributeList l;
  std::string key = "custom.key";
  std::string value = "some value longer than the small-string buffer";
  EXPECT_TRUE(l.Add(StaticKey("http.route"), std::string_view("/api/v1/telemetry")));
  EXPECT_TRUE(l.Set(key, std::string_view(value)));
  EXPECT_TRUE(l.Set(StaticKey("n"), std::int64_t{-3}));
  EXPECT_TRUE(l.Set(StaticKey("ok"), true));
  EXPECT_TRUE(l.Set(StaticKey("ratio"), 0.5));
  key.assign("overwritten");  // the list holds its own copies
  value.assign("overwritten");
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0].key, "http.route");
  EXPECT_TRUE(l[0].static_key);
  EXPECT_EQ(std::get<std::string_view>(l[0].value), "/api/v1/telemetry");
  EXPECT_EQ(l[1].key, "custom.key");
  EXPECT_FALSE(l[1].static_key);
  EXPECT_EQ(std::get<std::string_view>(l[1].value),
            "some value longer than the small-string buffer");
  EXPECT_EQ(std::get<std::int64_t>(l[2].value), -3);
  EXPECT_EQ(std::get<bool>(l[3].value), true);
  EXPECT_EQ(std::get<double>(l[4].value), 0.5);
  std::vector<std::string> keys;
  for (const auto& e : l) keys.emplace_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"http.route", "custom.key", "n", "ok", "ratio"}));
}

TEST(AttributeListTest, SetReplacesAnExistingKeyWhateverItsType) {
  AttributeList l;
  l.Set("k", std::int64_t{1});
  l.Set(StaticKey("k"), std::string_view("text"));
  l.Set("other", 2.0);
  l.Set("k", false);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(std::get<bool>(*l.Find("k")), false);
  EXPECT_EQ(std::get<double>(*l.Find("other")), 2.0);
  EXPECT_FALSE(l.Find("missing").has_value());
}

TEST(AttributeListTest, BoundedInCountAndText) {
  AttributeList l;
  for (std::size_t i = 0; i < AttributeList::kMaxAttributes; ++i) {
    std::string key = "k";  // appended, not "k" + ...: GCC 12's -Wrestrict misfires on that
    key += std::to_string(i);
    EXPECT_TRUE(l.Set(key, std::int64_t(i)));
  }
  EXPECT_FALSE(l.Set("one.more", true));
  EXPECT_TRUE(l.Set("k7", std::int64_t{70}));  // replacing still works when full
  EXPECT_EQ(std::get<std::int64_t>(*l.Find("k7")), 70);
  EXPECT_EQ(l.size(), AttributeList::kMaxAttributes);

  AttributeList t;
  const std::string big(AttributeList::kMaxTextBytes - 10, 'x');
  EXPECT_TRUE(t.Set(StaticKey("big"), std::string_view(big)));
  EXPECT_FALSE(t.Set(StaticKey("more"), std::string_view("more than ten bytes")));
  EXPECT_FALSE(t.Set(StaticKey("big"), std::string_view("a replacement over the limit")));
  EXPECT_EQ(std::get<std::string_view>(*t.Find("big")).size(), big.size());  // unchanged
  EXPECT_EQ(t.size(), 1u);
}

TEST(AttributeListTest, ClearKeepsCapacity) {
  AttributeList l;
  for (int i = 0; i < 8; ++i) l.Add(StaticKey("key"), std::string_view("a value of some length"));
  const std::size_t cap = l.capacity_bytes();
  l.clear();
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.capacity_bytes(), cap);
}

}  // namespace
}  // namespace astraguard::obs
