// Access control end to end against the real binary: keys from the environment and from a key
// file, 401/403 on the wire, the access line's role and key id, configuration errors with exit
// code 2, and a grep of everything the process printed for the keys and their prefixes.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard::testing {
namespace {

constexpr const char* kNominal =
    R"({"voltage":28.1,"temperature":21.5,"gyro":0.001,"current":3.2,"wheel_speed":2400})";
// Distinctive keys, so that any of their prefixes found in the output is a leak.
const std::string kViewerKey = "Zq8vViewerT4mKx2Lp9Rw";
const std::string kOperatorKey = "Jb3nOperatorY7cVs5Ge1";
const std::string kAdminKey = "Wu6hAdminF0dQz8Nk3Ty";  // from the key file
const std::string kWrongKey = "Xe2rWrongKeyM9pB4sHa";

std::string WriteKeyFile(const std::string& body, mode_t mode) {
  const std::string path = ::testing::TempDir() + "/access_control_test_keys_" +
                           std::to_string(::getpid()) + std::to_string(mode) + ".txt";
  std::ofstream(path) << body;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(AccessControlEndToEnd, KeysWorkOnTheWireAndNeverReachTheLog) {
  const std::string file = WriteKeyFile("# admins\nadmin:" + kAdminKey + "\n", 0600);
  ServiceProcess svc({"serve"},
                     {{"ASTRAGUARD_API_KEYS", "viewer:" + kViewerKey + ",operator:" + kOperatorKey},
                      {"ASTRAGUARD_API_KEYS_FILE", file},
                      {"ENVIRONMENT", "production"},
                      {"ENABLE_JSON_LOGGING", "true"},
                      {"LOG_LEVEL", "DEBUG"}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto send = [&](std::string_view method, std::string_view target, http::Headers headers,
                  std::string_view body = {}) {
    auto r = c.Send(method, target, body, "application/json", headers);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : http::ClientResponse{};
  };
  EXPECT_EQ(
      send("POST", "/api/v1/telemetry", {{"Authorization", "Bearer " + kOperatorKey}}, kNominal)
          .status,
      200);
  EXPECT_EQ(send("GET", "/api/v1/status", {{"X-API-Key", kViewerKey}}).status, 200);
  EXPECT_EQ(send("POST", "/api/v1/phase", {{"Authorization", "Bearer " + kAdminKey}},
                 R"({"phase":"SAFE_MODE","reason":"test"})")
                .status,
            200);
  // Denied: role too low, unknown key, malformed header, no key.
  EXPECT_EQ(send("POST", "/api/v1/phase", {{"Authorization", "Bearer " + kOperatorKey}},
                 R"({"phase":"NOMINAL_OPS"})")
                .status,
            403);
  auto wrong = send("GET", "/api/v1/status", {{"Authorization", "Bearer " + kWrongKey}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers["www-authenticate"], "Bearer realm=\"astraguard\"");
  EXPECT_EQ(send("GET", "/api/v1/status", {{"Authorization", "Basic " + kViewerKey}}).status, 401);
  EXPECT_EQ(send("GET", "/api/v1/status", {{"Authorization", kViewerKey}}).status, 401);
  EXPECT_EQ(send("GET", "/api/v1/status", {}).status, 401);
  EXPECT_EQ(send("GET", "/health", {}).status, 401);
  // Probes stay open.
  EXPECT_EQ(send("GET", "/health/live", {}).status, 200);
  EXPECT_EQ(send("GET", "/health/ready", {}).status, 200);
  svc.Signal(SIGTERM);
  ASSERT_EQ(svc.Wait(), 0);
  const std::string out = svc.output();
  for (const std::string& key : {kViewerKey, kOperatorKey, kAdminKey, kWrongKey}) {
    for (size_t n : {key.size(), size_t{8}, size_t{5}}) {
      EXPECT_EQ(out.find(key.substr(0, n)), std::string::npos)
          << "key prefix " << key.substr(0, n) << " in the log:\n"
          << out;
    }
  }
  // The access lines carry the role and the key's short id.
  int with_role = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object() || !v.as_object().contains("event") ||
        v.at("event") != "http_request" || !v.as_object().contains("role")) {
      continue;
    }
    ++with_role;
    EXPECT_EQ(v.at("key_id").as_string().size(), 8u) << line;
    if (v.at("route") == "/api/v1/phase" && v.at("status") == 200) {
      EXPECT_EQ(v.at("role"), "admin") << line;
    }
  }
  EXPECT_EQ(with_role, 4) << out;  // three admitted calls and the 403
  std::remove(file.c_str());
}

TEST(AccessControlEndToEnd, ProductionWithoutKeysExits2) {
  auto [rc, out] = RunToCompletion({"serve", "--port", "0"}, {{"ENVIRONMENT", "production"}});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("requires API keys"), std::string::npos) << out;
}

TEST(AccessControlEndToEnd, BadKeyFileExits2NamingTheLine) {
  const std::string file = WriteKeyFile("viewer:ok-key-1\n\nroot:" + kAdminKey + "\n", 0600);
  auto [rc, out] = RunToCompletion({"serve", "--port", "0"}, {{"ASTRAGUARD_API_KEYS_FILE", file}});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("line 3: unknown role 'root'"), std::string::npos) << out;
  EXPECT_EQ(out.find(kAdminKey.substr(0, 5)), std::string::npos) << out;
  std::remove(file.c_str());
  auto [rc2, out2] =
      RunToCompletion({"serve", "--port", "0"}, {{"ASTRAGUARD_API_KEYS_FILE", file}});
  EXPECT_EQ(rc2, 2) << out2;
  EXPECT_NE(out2.find("ASTRAGUARD_API_KEYS_FILE"), std::string::npos) << out2;
  auto [rc3, out3] = RunToCompletion({"serve", "--port", "0"},
                                     {{"ASTRAGUARD_API_KEYS", "viewer:a-key,viewer:a-key"}});
  EXPECT_EQ(rc3, 2) << out3;
  EXPECT_NE(out3.find("item 2: duplicate key"), std::string::npos) << out3;
}

TEST(AccessControlEndToEnd, AReadableKeyFileIsAWarning) {
  const std::string file = WriteKeyFile("operator:" + kOperatorKey + "\n", 0644);
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_API_KEYS_FILE", file}});
  ASSERT_TRUE(svc.started()) << svc.output();
  svc.Signal(SIGTERM);
  ASSERT_EQ(svc.Wait(), 0);
  EXPECT_NE(svc.output().find("api_keys_file_readable"), std::string::npos) << svc.output();
  std::remove(file.c_str());
}

}  // namespace
}  // namespace astraguard::testing
