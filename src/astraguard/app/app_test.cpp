#include "astraguard/app/app.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <map>
#include <set>
#include <string>

#include "astraguard/app/api_docs.hpp"
#include "astraguard/http/client/client.hpp"

namespace astraguard::app {
namespace {

// The whole App on free loopback ports, as cli/serve.cpp builds it (no model file: detection
// falls back to limits and robust statistics; no trace export).
config::Config TestConfig() {
  config::Config c;
  c.version = "0.0.0-test";
  c.server.host = "127.0.0.1";
  c.server.port = 0;
  c.server.metrics_port = 0;
  c.server.io_threads = 1;
  c.model_path = "/nonexistent/astraguard.model";
  c.tracing.enabled = false;
  return c;
}

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(app_.Start().ok()); }
  void TearDown() override { app_.Shutdown(); }

  App app_{TestConfig()};
};

TEST_F(AppTest, MethodNotAllowedIsCountedUnderTheRouteTemplate) {
  http::HttpClient client("127.0.0.1", app_.api_port());
  auto not_allowed = client.Send("DELETE", "/api/v1/phase");
  ASSERT_TRUE(not_allowed.ok()) << not_allowed.status().message();
  EXPECT_EQ(not_allowed->status, 405);
  EXPECT_EQ(not_allowed->headers["allow"], "GET, HEAD, POST");
  auto unknown = client.Send("GET", "/api/v1/nothing-here");
  ASSERT_TRUE(unknown.ok()) << unknown.status().message();
  EXPECT_EQ(unknown->status, 404);

  auto metrics = client.Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("astra_http_requests_total{endpoint=\"/api/v1/phase\",method=\"other\","
                      "status=\"405\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("astra_http_requests_total{endpoint=\"unmatched\",method=\"other\","
                      "status=\"405\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("astra_http_requests_total{endpoint=\"unmatched\",method=\"other\","
                      "status=\"404\"} 1"),
            std::string::npos);
}

// Keys for the access-control tests, one per role.
constexpr std::string_view kViewerKey = "viewer-Qm4TzR8vK2pL9wXa";
constexpr std::string_view kOperatorKey = "operator-Hc7NbY3eJ6sD1fGu";
constexpr std::string_view kAdminKey = "admin-Vt5WkP0qZ8mR2xLc";

config::Config WithKeys() {
  config::Config c = TestConfig();
  c.access.auth.keys = *auth::ParseKeyList(
      fmt::format("viewer:{},operator:{},admin:{}", kViewerKey, kOperatorKey, kAdminKey));
  return c;
}

// "/api/v1/anomalies/{id}/feedback" -> "/api/v1/anomalies/an-1/feedback".
std::string Concrete(std::string pattern) {
  for (size_t open; (open = pattern.find('{')) != std::string::npos;) {
    pattern.replace(open, pattern.find('}', open) - open + 1, "an-1");
  }
  return pattern;
}

// Every role on every route of the router's own list, allowed and denied: a new route is in
// this table as soon as it is registered.
TEST(AppAccessTest, EveryRoleOnEveryRoute) {
  App app(WithKeys());
  ASSERT_TRUE(app.Start().ok());
  http::HttpClient client("127.0.0.1", app.api_port());
  struct Caller {
    http::Role role;
    http::Headers headers;
  };
  const Caller callers[] = {
      {http::Role::kPublic, {}},
      {http::Role::kViewer, {{"X-API-Key", std::string(kViewerKey)}}},
      {http::Role::kOperator, {{"Authorization", fmt::format("Bearer {}", kOperatorKey)}}},
      {http::Role::kAdmin, {{"Authorization", fmt::format("Bearer {}", kAdminKey)}}}};
  size_t checked = 0;
  for (const http::Route& route : app.router().routes()) {
    const std::string target = Concrete(route.pattern);
    for (const Caller& caller : callers) {
      // No body: an admitted POST stops at the 415 of its content check and changes nothing.
      auto r = client.Send(route.method, target, "", "text/plain", caller.headers);
      ASSERT_TRUE(r.ok()) << r.status().message();
      const std::string what = fmt::format("{} {} as {}: {}", route.method, route.pattern,
                                           http::RoleName(caller.role), r->body);
      if (route.role == http::Role::kPublic || http::Grants(caller.role, route.role)) {
        EXPECT_NE(r->status, 401) << what;
        EXPECT_NE(r->status, 403) << what;
      } else if (caller.role == http::Role::kPublic) {
        EXPECT_EQ(r->status, 401) << what;
        EXPECT_EQ(r->headers["www-authenticate"], "Bearer realm=\"astraguard\"") << what;
        EXPECT_EQ(r->headers["content-type"], "application/problem+json") << what;
      } else {
        EXPECT_EQ(r->status, 403) << what;
        EXPECT_EQ(r->headers["content-type"], "application/problem+json") << what;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, app.router().routes().size() * 4);
  app.Shutdown();
}

// Only the probes, /metrics (which has its own basic auth) and the API description are open;
// everything under /api/ needs a key, and only admin may change the mission phase.
TEST(AppAccessTest, OnlyProbesAndMetricsArePublic) {
  App app(WithKeys());
  for (const http::Route& route : app.router().routes()) {
    const bool open = route.pattern == "/health/live" || route.pattern == "/health/ready" ||
                      route.pattern == "/metrics" || route.pattern == "/openapi.json" ||
                      route.pattern == "/docs";
    EXPECT_EQ(route.role == http::Role::kPublic, open) << route.method << " " << route.pattern;
    if (route.method == "POST" && route.pattern == "/api/v1/phase") {
      EXPECT_EQ(route.role, http::Role::kAdmin);
    }
  }
}

// The router's routes and the OpenAPI document's operations are the same set, and each
// operation documents the role its route declares.
TEST(AppOpenApiTest, DocumentDescribesExactlyTheRouterRoutes) {
  App app(TestConfig());
  const boost::json::object doc = boost::json::parse(OpenApiJson()).as_object();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  std::set<std::string> routed, documented;
  std::map<std::string, std::string> roles;
  for (const http::Route& r : app.router().routes()) {
    routed.insert(r.method + " " + r.pattern);
    roles[r.method + " " + r.pattern] = std::string(http::RoleName(r.role));
  }
  for (const auto& path : doc.at("paths").as_object()) {
    for (const auto& op : path.value().as_object()) {
      std::string method(op.key());
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const std::string key = method + " " + std::string(path.key());
      documented.insert(key);
      if (roles.contains(key)) {
        EXPECT_EQ(op.value().at("x-required-role").as_string(), roles[key]) << key;
        const bool open = roles[key] == "public";
        EXPECT_EQ(op.value().at("responses").as_object().contains("401"),
                  !open || key == "GET /metrics")
            << key;
      }
    }
  }
  EXPECT_EQ(routed, documented);
}

TEST(AppOpenApiTest, DocumentAndDocsPageAreServedWithoutAKey) {
  App app(WithKeys());
  ASSERT_TRUE(app.Start().ok());
  http::HttpClient client("127.0.0.1", app.api_port());
  auto doc = client.Send("GET", "/openapi.json");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->status, 200);
  EXPECT_EQ(doc->headers["content-type"], "application/json");
  EXPECT_EQ(doc->body, OpenApiJson());
  auto page = client.Send("GET", "/docs");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, DocsHtml());
  app.Shutdown();
}

TEST(AppAccessTest, WithoutKeysEverythingIsOpen) {
  App app(TestConfig());
  ASSERT_TRUE(app.Start().ok());
  http::HttpClient client("127.0.0.1", app.api_port());
  auto r = client.Send("GET", "/api/v1/phase");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  app.Shutdown();
}

TEST(AppAccessTest, RateLimitedRequestsGet429WithRetryAfter) {
  config::Config c = WithKeys();
  c.access.rate_limits[static_cast<size_t>(http::Role::kViewer)] = auth::RateLimit{0.2, 2};
  App app(c);
  ASSERT_TRUE(app.Start().ok());
  http::HttpClient client("127.0.0.1", app.api_port());
  const http::Headers key = {{"X-API-Key", std::string(kViewerKey)}};
  EXPECT_EQ(client.Send("GET", "/api/v1/status", "", "", key)->status, 200);
  EXPECT_EQ(client.Send("GET", "/api/v1/status", "", "", key)->status, 200);
  auto limited = client.Send("GET", "/api/v1/status", "", "", key);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->headers["retry-after"], "5");
  EXPECT_EQ(limited->headers["content-type"], "application/problem+json");
  // Probes are never limited; another role has its own bucket.
  EXPECT_EQ(client.Send("GET", "/health/live")->status, 200);
  const http::Headers op = {{"X-API-Key", std::string(kOperatorKey)}};
  EXPECT_EQ(client.Send("GET", "/api/v1/status", "", "", op)->status, 200);
  auto metrics = client.Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("astra_rate_limited_total{role=\"viewer\"} 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("astra_rate_limited_total{role=\"admin\"} 0"), std::string::npos);
  app.Shutdown();
}

TEST(AppAccessTest, CorsPreflightForListedAndUnlistedOrigins) {
  App app(WithKeys());
  ASSERT_TRUE(app.Start().ok());
  http::HttpClient client("127.0.0.1", app.api_port());
  const http::Headers listed = {{"Origin", "http://localhost:3000"},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "authorization, content-type"}};
  auto ok = client.Send("OPTIONS", "/api/v1/telemetry", "", "", listed);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 204);  // no key needed for a preflight
  EXPECT_EQ(ok->headers["access-control-allow-origin"], "http://localhost:3000");
  EXPECT_EQ(ok->headers["access-control-allow-credentials"], "true");
  EXPECT_EQ(ok->headers["access-control-allow-methods"], "POST, OPTIONS");
  EXPECT_NE(ok->headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
  EXPECT_FALSE(ok->headers.contains("content-length"));
  const http::Headers unlisted = {{"Origin", "http://attacker.example"},
                                  {"Access-Control-Request-Method", "POST"}};
  auto no = client.Send("OPTIONS", "/api/v1/telemetry", "", "", unlisted);
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->status, 204);
  EXPECT_FALSE(no->headers.contains("access-control-allow-origin"));
  EXPECT_FALSE(no->headers.contains("access-control-allow-methods"));
  EXPECT_EQ(client.Send("OPTIONS", "/api/v1/nothing", "", "", listed)->status, 404);
  // Actual requests: a listed origin gets the allow header even on an error, others never.
  auto get = client.Send("GET", "/api/v1/phase", "", "", {{"Origin", "http://localhost:8080"}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->status, 401);
  EXPECT_EQ(get->headers["access-control-allow-origin"], "http://localhost:8080");
  auto other =
      client.Send("GET", "/api/v1/phase", "", "",
                  {{"Origin", "http://attacker.example"}, {"X-API-Key", std::string(kViewerKey)}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 200);
  EXPECT_FALSE(other->headers.contains("access-control-allow-origin"));
  app.Shutdown();
}

}  // namespace
}  // namespace astraguard::app
