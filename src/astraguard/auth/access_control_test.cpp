#include "astraguard/auth/access_control.hpp"

#include <gtest/gtest.h>

namespace astraguard::auth {
namespace {

using http::Role;
const auto kT0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));

std::string HeaderOf(const http::Response& res, std::string_view name) {
  for (const auto& [n, v] : res.headers) {
    if (n == name) return v;
  }
  return "<none>";
}

AccessConfig WithKeys() {
  AccessConfig c;
  c.auth.keys = *ParseKeyList("viewer:view-key,operator:op-key,admin:admin-key");
  return c;
}

class AccessControlTest : public ::testing::Test {
 protected:
  http::Response Call(AccessControl& ac, http::Request req, Role required, bool* admitted = nullptr,
                      Caller* caller = nullptr) {
    http::Response res;
    Caller c;
    bool ok = ac.Admit(req, required, "/x", kT0, res, c);
    if (admitted) *admitted = ok;
    if (caller) *caller = c;
    return res;
  }
  prometheus::Registry registry_;
  LocalRateLimiter limiter_;
};

TEST_F(AccessControlTest, BearerAndXApiKeyAuthenticate) {
  AccessControl ac(WithKeys(), limiter_, registry_);
  bool ok = false;
  Caller caller;
  Call(ac, {.authorization = "Bearer op-key"}, Role::kOperator, &ok, &caller);
  EXPECT_TRUE(ok);
  EXPECT_EQ(caller.role, Role::kOperator);
  EXPECT_EQ(caller.key_id.size(), 8u);
  Call(ac, {.authorization = "bearer   admin-key "}, Role::kAdmin, &ok);
  EXPECT_TRUE(ok);
  Call(ac, {.x_api_key = "view-key"}, Role::kViewer, &ok);
  EXPECT_TRUE(ok);
}

TEST_F(AccessControlTest, MissingMalformedAndUnknownKeysAre401WithAChallenge) {
  AccessControl ac(WithKeys(), limiter_, registry_);
  const http::Request cases[] = {{},
                                 {.authorization = "Basic dXNlcjpwYXNz"},
                                 {.authorization = "Bearer"},
                                 {.authorization = "Bearer "},
                                 {.authorization = "op-key"},
                                 {.authorization = "Bearer not-a-key"},
                                 {.x_api_key = "not-a-key"},
                                 {.x_api_key = "  "},
                                 {.authorization = "Bearer op-key", .x_api_key = "op-key"}};
  for (const http::Request& req : cases) {
    bool ok = true;
    http::Response res = Call(ac, req, Role::kViewer, &ok);
    EXPECT_FALSE(ok) << req.authorization << "|" << req.x_api_key;
    EXPECT_EQ(res.status, 401);
    EXPECT_EQ(res.content_type, "application/problem+json");
    EXPECT_EQ(HeaderOf(res, "WWW-Authenticate"), "Bearer realm=\"astraguard\"");
    EXPECT_EQ(res.body.find("not-a-key"), std::string::npos);
    EXPECT_NE(res.body.find(req.authorization.empty() && !req.x_api_key.empty()
                                ? "\"field\":\"X-API-Key\""
                                : "\"field\":\"Authorization\""),
              std::string::npos)
        << res.body;
  }
}

TEST_F(AccessControlTest, ARoleTooLowIs403) {
  AccessControl ac(WithKeys(), limiter_, registry_);
  bool ok = true;
  http::Response res =
      Call(ac, {.method = "POST", .authorization = "Bearer op-key"}, Role::kAdmin, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("role operator may not call POST /x (needs admin)"), std::string::npos);
}

TEST_F(AccessControlTest, PublicRoutesNeedNoKeyAndAreNotLimited) {
  AccessConfig c = WithKeys();
  c.rate_limits.fill(RateLimit{1, 1});
  AccessControl ac(c, limiter_, registry_);
  for (int i = 0; i < 5; ++i) {
    bool ok = false;
    Call(ac, {}, Role::kPublic, &ok);
    EXPECT_TRUE(ok);
  }
}

TEST_F(AccessControlTest, WithoutKeysEveryoneIsAnonymousAndLimitedByAddress) {
  AccessConfig c;
  c.rate_limits[0] = RateLimit{1, 2};
  AccessControl ac(c, limiter_, registry_);
  bool ok = false;
  Caller caller;
  Call(ac, {.client_address = "10.0.0.1"}, Role::kAdmin, &ok, &caller);
  EXPECT_TRUE(ok);
  EXPECT_EQ(caller.class_name(), "anonymous");
  Call(ac, {.client_address = "10.0.0.1"}, Role::kAdmin, &ok);
  EXPECT_TRUE(ok);
  http::Response res = Call(ac, {.client_address = "10.0.0.1"}, Role::kAdmin, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(HeaderOf(res, "Retry-After"), "1");
  Call(ac, {.client_address = "10.0.0.2"}, Role::kAdmin, &ok);
  EXPECT_TRUE(ok);
}

TEST_F(AccessControlTest, RateLimitIsPerKeyWithTheRolesLimitAndCounted) {
  AccessConfig c = WithKeys();
  c.rate_limits[static_cast<size_t>(Role::kViewer)] = RateLimit{0.5, 1};
  AccessControl ac(c, limiter_, registry_);
  bool ok = false;
  Call(ac, {.x_api_key = "view-key"}, Role::kViewer, &ok);
  EXPECT_TRUE(ok);
  http::Response res = Call(ac, {.x_api_key = "view-key"}, Role::kViewer, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(HeaderOf(res, "Retry-After"), "2");
  Call(ac, {.x_api_key = "op-key"}, Role::kViewer, &ok);  // operator: unlimited here
  EXPECT_TRUE(ok);
  double viewer = -1, anonymous = -1;
  for (const auto& family : registry_.Collect()) {
    if (family.name != "astra_rate_limited_total") continue;
    EXPECT_EQ(family.metric.size(), 4u);  // every role from the start
    for (const auto& m : family.metric) {
      if (m.label[0].value == "viewer") viewer = m.counter.value;
      if (m.label[0].value == "anonymous") anonymous = m.counter.value;
    }
  }
  EXPECT_EQ(viewer, 1);
  EXPECT_EQ(anonymous, 0);
}

TEST_F(AccessControlTest, FailedAttemptsAreLimitedByAddress) {
  AccessConfig c = WithKeys();
  c.rate_limits[0] = RateLimit{1, 2};  // anonymous
  AccessControl ac(c, limiter_, registry_);
  const http::Request guess = {.x_api_key = "guess", .client_address = "10.0.0.9"};
  EXPECT_EQ(Call(ac, guess, Role::kViewer).status, 401);
  EXPECT_EQ(Call(ac, guess, Role::kViewer).status, 401);
  http::Response limited = Call(ac, guess, Role::kViewer);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "1");
  bool ok = false;  // a valid key has its own bucket
  Call(ac, {.x_api_key = "view-key", .client_address = "10.0.0.9"}, Role::kViewer, &ok);
  EXPECT_TRUE(ok);
}

TEST_F(AccessControlTest, CorsAllowsListedOriginsOnly) {
  AccessControl ac(AccessConfig{}, limiter_, registry_);  // the default origin list
  http::Response listed;
  ac.AddCorsHeaders({.origin = "http://localhost:3000"}, listed);
  EXPECT_EQ(HeaderOf(listed, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(HeaderOf(listed, "Access-Control-Allow-Credentials"), "true");
  http::Response unlisted;
  ac.AddCorsHeaders({.origin = "http://evil.example"}, unlisted);
  EXPECT_TRUE(unlisted.headers.empty());
}

TEST_F(AccessControlTest, PreflightForListedAndUnlistedOrigins) {
  AccessControl ac(AccessConfig{}, limiter_, registry_);
  http::Response listed;
  ac.Preflight({.method = "OPTIONS",
                .origin = "http://127.0.0.1:3000",
                .access_control_request_method = "POST"},
               "POST", listed);
  EXPECT_EQ(listed.status, 204);
  EXPECT_EQ(HeaderOf(listed, "Allow"), "POST, OPTIONS");
  EXPECT_EQ(HeaderOf(listed, "Access-Control-Allow-Origin"), "http://127.0.0.1:3000");
  EXPECT_EQ(HeaderOf(listed, "Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_NE(HeaderOf(listed, "Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  http::Response unlisted;
  ac.Preflight({.method = "OPTIONS", .origin = "http://localhost:3001"}, "POST", unlisted);
  EXPECT_EQ(unlisted.status, 204);
  EXPECT_EQ(HeaderOf(unlisted, "Access-Control-Allow-Origin"), "<none>");
  EXPECT_EQ(HeaderOf(unlisted, "Access-Control-Allow-Methods"), "<none>");
}

TEST_F(AccessControlTest, AStarNeverComesWithCredentials) {
  AccessConfig c;
  c.cors = *ParseOrigins("*");
  AccessControl ac(c, limiter_, registry_);
  http::Response res;
  ac.AddCorsHeaders({.origin = "http://anything.example"}, res);
  EXPECT_EQ(HeaderOf(res, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(HeaderOf(res, "Access-Control-Allow-Credentials"), "<none>");
}

TEST(ParseOriginsTest, AcceptsOriginsAndRejectsTheRest) {
  auto ok = ParseOrigins(" https://ops.example.org , http://localhost:8080");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->origins.size(), 2u);
  EXPECT_TRUE(ParseOrigins("")->origins.empty());
  EXPECT_FALSE(ParseOrigins("http://a.example/").ok());
  EXPECT_FALSE(ParseOrigins("a.example").ok());
  EXPECT_FALSE(ParseOrigins("ftp://a.example").ok());
  EXPECT_FALSE(ParseOrigins("http://a.example,,http://b.example").ok());
}

TEST(ParseRateLimitTest, RateAndBurst) {
  auto r = ParseRateLimit("50:100");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->per_second, 50);
  EXPECT_EQ(r->burst, 100);
  EXPECT_TRUE(ParseRateLimit("0:0")->unlimited());
  EXPECT_FALSE(ParseRateLimit("50").ok());
  EXPECT_FALSE(ParseRateLimit("5:0.5").ok());
  EXPECT_FALSE(ParseRateLimit("-1:5").ok());
  EXPECT_FALSE(ParseRateLimit("nan:5").ok());
}

}  // namespace
}  // namespace astraguard::auth
