#include "astraguard/config/config.hpp"

#include <gtest/gtest.h>

namespace astraguard::config {
namespace {

Result<Loaded> LoadEnv(std::map<std::string, std::string> env,
                       std::map<std::string, std::string> flags = {}) {
  return Load(env, flags, "9.9.9");
}

TEST(ConfigTest, DefaultsMatchTheDeploymentGuide) {
  auto r = LoadEnv({});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.server.port, 8000);
  EXPECT_EQ(r->config.server.metrics_port, 9090);
  EXPECT_EQ(r->config.server.host, "0.0.0.0");
  EXPECT_EQ(r->config.server.max_body_bytes, 1u << 20);
  EXPECT_EQ(r->config.version, "9.9.9");
  EXPECT_FALSE(r->config.log.json);
}

TEST(ConfigTest, FlagsOverrideEnvironment) {
  auto r = LoadEnv({{"ASTRAGUARD_PORT", "8100"}, {"PROMETHEUS_PORT", "9100"}},
                   {{"ASTRAGUARD_PORT", "0"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.server.port, 0);
  EXPECT_EQ(r->config.server.metrics_port, 9100);
  EXPECT_EQ(r->origins.at("ASTRAGUARD_PORT"), Origin::kFlag);
  EXPECT_EQ(r->origins.at("PROMETHEUS_PORT"), Origin::kEnvironment);
}

TEST(ConfigTest, UnknownAstraguardVariableIsRejectedByName) {
  auto r = LoadEnv({{"ASTRAGUARD_PROT", "8000"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ASTRAGUARD_PROT"), std::string::npos);
}

TEST(ConfigTest, InvalidValueNamesVariable) {
  auto r = LoadEnv({{"ASTRAGUARD_PORT", "70000"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ASTRAGUARD_PORT"), std::string::npos);
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_PORT", "80x"}}).ok());
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_PORT", ""}}).ok());
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_PORT", "-1"}}).ok());
  EXPECT_FALSE(LoadEnv({{"LOG_LEVEL", "LOUD"}}).ok());
  EXPECT_FALSE(LoadEnv({{"ENABLE_JSON_LOGGING", "maybe"}}).ok());
  EXPECT_FALSE(LoadEnv({{"REDIS_URL", "http://x"}}).ok());
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_READ_TIMEOUT_MS", "0"}}).ok());
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_LIMITS", "voltage:30:20:10:5"}}).ok());
}

TEST(ConfigTest, InvalidFlagValueNamesFlag) {
  auto r = LoadEnv({}, {{"ASTRAGUARD_PORT", "abc"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--port"), std::string::npos);
}

TEST(ConfigTest, ProductionDefaultsToJsonLogsUnlessOverridden) {
  EXPECT_TRUE(LoadEnv({{"ENVIRONMENT", "production"}})->config.log.json);
  EXPECT_FALSE(
      LoadEnv({{"ENVIRONMENT", "production"}, {"ENABLE_JSON_LOGGING", "false"}})->config.log.json);
}

TEST(ConfigTest, LimitsOverrideOnlyNamedChannels) {
  auto r = LoadEnv({{"ASTRAGUARD_LIMITS", "voltage:10:11:14:15:V;bus_b:-:-:3:4"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.limits.channels.at("voltage").red_high, 15.0);
  EXPECT_EQ(r->config.limits.channels.count("bus_b"), 1u);
  EXPECT_EQ(r->config.limits.channels.count("temperature"), 1u);
}

TEST(ConfigTest, TracingVariablesArePassedThrough) {
  auto r = LoadEnv({{"OTEL_SERVICE_NAME", "x"}, {"JAEGER_HOST", "jaeger"}, {"HOME", "/root"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.tracing_env.size(), 2u);
}

TEST(ConfigTest, DescribeRedactsSecrets) {
  auto r = LoadEnv({{"REDIS_URL", "redis://user:hunter2@cache:6379/0"},
                    {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret"}});
  ASSERT_TRUE(r.ok());
  std::string text = Describe(*r);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("api-key=secret"), std::string::npos) << text;
  EXPECT_NE(text.find("REDIS_URL=redis://user:<redacted>@cache:6379/0  (env)"), std::string::npos);
  EXPECT_NE(text.find("ASTRAGUARD_PORT=8000  (default)"), std::string::npos);
}

}  // namespace
}  // namespace astraguard::config

namespace astraguard::config {
namespace {

TEST(ConfigTest, PhaseLimitsOverrideTheCommonLimitsInTheirPhaseOnly) {
  auto r = Load({{"ASTRAGUARD_LIMITS", "bus_b:-:-:3:4"},
                 {"ASTRAGUARD_LIMITS_SAFE_MODE", "bus_b:-:-:8:10;voltage:18:20:32:34:V"}},
                {}, "1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto by_phase = r->config.LimitsByPhase();
  EXPECT_EQ(by_phase[4].channels.at("bus_b").red_high, 10.0);  // SAFE_MODE
  EXPECT_EQ(by_phase[4].channels.at("voltage").red_low, 18.0);
  EXPECT_EQ(by_phase[4].channels.at("temperature").red_high, 80.0);  // common default
  EXPECT_EQ(by_phase[2].channels.at("bus_b").red_high, 4.0);   // NOMINAL_OPS
  EXPECT_EQ(by_phase[2].channels.at("voltage").red_low, 22.0);
  auto bad = Load({{"ASTRAGUARD_LIMITS_LAUNCH", "x:5:4:3:2"}}, {}, "1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ASTRAGUARD_LIMITS_LAUNCH"), std::string::npos);
}

}  // namespace
}  // namespace astraguard::config
