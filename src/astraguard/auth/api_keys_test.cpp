#include "astraguard/auth/api_keys.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

namespace astraguard::auth {
namespace {

std::string Hex(const Digest& d) {
  std::string out;
  for (uint8_t b : d) out += fmt::format("{:02x}", b);
  return out;
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeysTest, ParsesAListIntoDigestsAndRoles) {
  auto keys = ParseKeyList("viewer:v-key-1, operator:o-key-1,admin:a-key-1");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].role, http::Role::kViewer);
  EXPECT_EQ((*keys)[1].role, http::Role::kOperator);
  EXPECT_EQ((*keys)[2].role, http::Role::kAdmin);
  EXPECT_EQ((*keys)[2].digest, Sha256("a-key-1"));
  EXPECT_EQ((*keys)[2].id, Hex(Sha256("a-key-1")).substr(0, 8));
}

TEST(ApiKeysTest, ErrorsNameTheItemAndNeverTheKey) {
  auto unknown = ParseKeyList("viewer:abc,root:secret-1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("item 2: unknown role 'root'"), std::string::npos);
  EXPECT_EQ(unknown.status().message().find("secret-1"), std::string::npos);
  auto empty = ParseKeyList("viewer:");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("item 1: empty key"), std::string::npos);
  EXPECT_FALSE(ParseKeyList("").ok());
  EXPECT_FALSE(ParseKeyList("viewer:a,,admin:b").ok());
  EXPECT_FALSE(ParseKeyList("viewer").ok());
  auto spaced = ParseKeyList("viewer:has space-secret");
  ASSERT_FALSE(spaced.ok());
  EXPECT_EQ(spaced.status().message().find("secret"), std::string::npos);
}

TEST(ApiKeysTest, DuplicateKeysAreRefusedEvenUnderAnotherRole) {
  auto dup = ParseKeyList("viewer:same-key,admin:same-key");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("item 2: duplicate key"), std::string::npos);
}

TEST(ApiKeysTest, FileTakesCommentsBlankLinesAndDigests) {
  const std::string digest = Hex(Sha256("ops-key"));
  auto keys =
      ParseKeyFile("# operators\n\nviewer:view-key\n  operator:sha256:" + digest + "  \r\n# end\n");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].digest, Sha256("ops-key"));
  EXPECT_EQ((*keys)[1].role, http::Role::kOperator);
}

TEST(ApiKeysTest, FileErrorsNameTheLine) {
  auto bad = ParseKeyFile("# c\nviewer:a\nsuperuser:b\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 3: unknown role 'superuser'"), std::string::npos);
  auto short_digest = ParseKeyFile("admin:sha256:abcd\n");
  ASSERT_FALSE(short_digest.ok());
  EXPECT_NE(short_digest.status().message().find("line 1: sha256 digest must be 64 hex"),
            std::string::npos);
  auto dup = ParseKeyFile("viewer:k1\nadmin:sha256:" + Hex(Sha256("k1")) + "\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("line 2: duplicate key"), std::string::npos);
  EXPECT_FALSE(ParseKeyFile("# only a comment\n").ok());
}

TEST(ApiKeysTest, MissingFileIsAnErrorAndAReadableOneAWarning) {
  std::string warning;
  EXPECT_FALSE(LoadKeyFile("/nonexistent/keys.txt", warning).ok());
  const std::string path = ::testing::TempDir() + "/api_keys_test_keys.txt";
  std::ofstream(path) << "admin:file-key\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto keys = LoadKeyFile(path, warning);
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_TRUE(warning.empty());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  keys = LoadKeyFile(path, warning);
  ASSERT_TRUE(keys.ok());
  EXPECT_NE(warning.find("accessible to other users"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace astraguard::auth
