#include "astraguard/http/router.hpp"

#include <gtest/gtest.h>

namespace astraguard::http {
namespace {

Router MakeRouter() {
  Router r;
  auto noop = [](const Request&, const PathParams&, Response&) {};
  r.Add("GET", "/health", Role::kPublic, noop);
  r.Add("POST", "/api/v1/telemetry", Role::kViewer, noop);
  r.Add("GET", "/api/v1/anomalies/{id}", Role::kViewer, noop);
  r.Add("POST", "/api/v1/anomalies/{id}/feedback", Role::kViewer, noop);
  r.Add("GET", "/api/v1/phase", Role::kViewer, noop);
  r.Add("POST", "/api/v1/phase", Role::kViewer, noop);
  return r;
}

TEST(RouterTest, MatchesStaticAndTemplatedRoutes) {
  Router r = MakeRouter();
  Match m = r.Find("GET", "/api/v1/anomalies/abc-123");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.route->pattern, "/api/v1/anomalies/{id}");
  EXPECT_EQ(m.params.Get("id"), "abc-123");
  EXPECT_EQ(r.Find("POST", "/api/v1/anomalies/x/feedback").route->pattern,
            "/api/v1/anomalies/{id}/feedback");
}

TEST(RouterTest, UnknownPathIs404) {
  Router r = MakeRouter();
  EXPECT_EQ(r.Find("GET", "/nope").status, 404);
  EXPECT_EQ(r.Find("GET", "/api/v1/anomalies/").status, 404);
  EXPECT_EQ(r.Find("GET", "/api/v1/anomalies/a/b").status, 404);
  EXPECT_EQ(r.Find("GET", "/health/").status, 404);
  EXPECT_EQ(r.Find("GET", "").status, 404);
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router r = MakeRouter();
  Match m = r.Find("DELETE", "/api/v1/phase");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(m.pattern, "/api/v1/phase");
  EXPECT_EQ(r.Find("GET", "/api/v1/telemetry").allow, "POST");
}

TEST(RouterTest, HeadMatchesTheGetRouteOnly) {
  Router r = MakeRouter();
  Match m = r.Find("HEAD", "/api/v1/phase");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.route->method, "GET");
  Match post_only = r.Find("HEAD", "/api/v1/telemetry");
  EXPECT_EQ(post_only.status, 405);
  EXPECT_EQ(post_only.allow, "POST");
  EXPECT_EQ(r.Find("HEAD", "/nope").status, 404);
}

TEST(RouterTest, RoutesKeepTheirDeclaredRole) {
  Router r = MakeRouter();
  EXPECT_EQ(r.Find("GET", "/health").route->role, Role::kPublic);
  EXPECT_EQ(r.Find("POST", "/api/v1/telemetry").route->role, Role::kViewer);
}

TEST(RoleTest, OrderAndNames) {
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kOperator));
  EXPECT_TRUE(Grants(Role::kViewer, Role::kViewer));
  EXPECT_TRUE(Grants(Role::kViewer, Role::kPublic));
  EXPECT_FALSE(Grants(Role::kOperator, Role::kAdmin));
  EXPECT_EQ(ParseKeyRole("operator"), Role::kOperator);
  EXPECT_EQ(ParseKeyRole("public"), std::nullopt);
  EXPECT_EQ(ParseKeyRole("Admin"), std::nullopt);
  for (Role r : kKeyRoles) EXPECT_EQ(ParseKeyRole(RoleName(r)), r);
}

}  // namespace
}  // namespace astraguard::http
