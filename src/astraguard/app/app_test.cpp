#include "astraguard/app/app.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace astraguard::app
