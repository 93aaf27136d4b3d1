#include "astraguard/config/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

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
  EXPECT_EQ(r->config.log.version, "9.9.9");
  EXPECT_EQ(r->config.log.level, obs::LogLevel::kInfo);
  EXPECT_EQ(r->config.log.format, obs::LogFormat::kConsole);
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
  EXPECT_EQ(LoadEnv({{"ENVIRONMENT", "production"}, {"ASTRAGUARD_API_KEYS", "admin:k"}})
                ->config.log.format,
            obs::LogFormat::kJson);
  EXPECT_EQ(LoadEnv({{"ENVIRONMENT", "production"},
                     {"ASTRAGUARD_API_KEYS", "admin:k"},
                     {"ENABLE_JSON_LOGGING", "false"}})
                ->config.log.format,
            obs::LogFormat::kConsole);
  EXPECT_EQ(LoadEnv({{"ENABLE_JSON_LOGGING", "true"}})->config.log.format, obs::LogFormat::kJson);
}

TEST(ConfigTest, ProductionWithoutApiKeysFails) {
  auto r = LoadEnv({{"ENVIRONMENT", "production"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("requires API keys"), std::string::npos);
  EXPECT_FALSE(LoadEnv({})->config.access.auth.enabled());  // development: off without keys
}

TEST(ConfigTest, ApiKeysFromTheListAndTheFileAreMergedAndRedacted) {
  const std::string path = ::testing::TempDir() + "/config_test_keys.txt";
  std::ofstream(path) << "# ops\noperator:file-secret-key\n";
  ::chmod(path.c_str(), 0600);
  auto r = LoadEnv(
      {{"ASTRAGUARD_API_KEYS", "viewer:list-secret-key"}, {"ASTRAGUARD_API_KEYS_FILE", path}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->config.access.auth.keys.size(), 2u);
  EXPECT_TRUE(r->config.access.auth.warnings.empty());
  const std::string described = Describe(*r);
  EXPECT_EQ(described.find("secret-key"), std::string::npos) << described;
  EXPECT_NE(described.find("ASTRAGUARD_API_KEYS=viewer:" +
                           auth::ParseKeyList("viewer:list-secret-key")->front().id),
            std::string::npos)
      << described;
  auto dup = LoadEnv(
      {{"ASTRAGUARD_API_KEYS", "admin:file-secret-key"}, {"ASTRAGUARD_API_KEYS_FILE", path}});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate key"), std::string::npos);
  ::chmod(path.c_str(), 0644);
  auto readable = LoadEnv({{"ASTRAGUARD_API_KEYS_FILE", path}});
  ASSERT_TRUE(readable.ok());
  EXPECT_EQ(readable->config.access.auth.warnings.size(), 1u);
  std::remove(path.c_str());
  auto missing = LoadEnv({{"ASTRAGUARD_API_KEYS_FILE", path}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("ASTRAGUARD_API_KEYS_FILE"), std::string::npos);
  auto bad = LoadEnv({{"ASTRAGUARD_API_KEYS", "viewer:a,guest:b"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ASTRAGUARD_API_KEYS: item 2: unknown role 'guest'"),
            std::string::npos);
}

TEST(ConfigTest, RateLimitsDefaultFromRpsAndBurstPerRole) {
  auto off = LoadEnv({});
  ASSERT_TRUE(off.ok());
  for (const auto& l : off->config.access.rate_limits) EXPECT_TRUE(l.unlimited());
  auto r = LoadEnv({{"ASTRAGUARD_RATE_LIMIT_RPS", "20"}, {"ASTRAGUARD_RATE_LIMIT_ADMIN", "5:7"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.access.rate_limits[0].per_second, 20);  // anonymous
  EXPECT_EQ(r->config.access.rate_limits[0].burst, 40);       // twice the rate
  EXPECT_EQ(r->config.access.rate_limits[3].per_second, 5);   // admin
  EXPECT_EQ(r->config.access.rate_limits[3].burst, 7);
  auto b = LoadEnv({{"ASTRAGUARD_RATE_LIMIT_RPS", "20"}, {"ASTRAGUARD_RATE_LIMIT_BURST", "3"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->config.access.rate_limits[1].burst, 3);
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_RATE_LIMIT_RPS", "fast"}}).ok());
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_RATE_LIMIT_VIEWER", "5"}}).ok());
}

TEST(ConfigTest, AllowedOriginsDefaultToTheOriginalsList) {
  auto r = LoadEnv({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.access.cors.origins,
            (std::vector<std::string>{"http://localhost:3000", "http://localhost:8080",
                                      "http://127.0.0.1:3000"}));
  auto custom = LoadEnv({{"ALLOWED_ORIGINS", "https://ops.example.org"}});
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->config.access.cors.origins.size(), 1u);
  auto bad = LoadEnv({{"ALLOWED_ORIGINS", "https://ops.example.org/app"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ALLOWED_ORIGINS"), std::string::npos);
}

TEST(ConfigTest, LimitsOverrideOnlyNamedChannels) {
  auto r = LoadEnv({{"ASTRAGUARD_LIMITS", "voltage:10:11:14:15:V;bus_b:-:-:3:4"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.limits.channels.at("voltage").red_high, 15.0);
  EXPECT_EQ(r->config.limits.channels.count("bus_b"), 1u);
  EXPECT_EQ(r->config.limits.channels.count("temperature"), 1u);
}

TEST(ConfigTest, TracingVariablesAreParsedIntoTheTracingOptions) {
  auto r = LoadEnv({{"OTEL_SERVICE_NAME", "x"}, {"JAEGER_HOST", "jaeger"}, {"HOME", "/root"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.log.service, "x");
  EXPECT_EQ(r->config.tracing.exporter.endpoint, "http://jaeger:4318/v1/traces");
  EXPECT_EQ(r->origins.at("JAEGER_HOST"), Origin::kEnvironment);
}

TEST(ConfigTest, RedisUrlFillsTheClientAndMalformedOnesNameTheVariable) {
  auto r = LoadEnv({{"REDIS_URL", "redis://:pw@cache:6380/2"},
                    {"ASTRAGUARD_REDIS_TIMEOUT_MS", "20"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& redis = r->config.redis;
  EXPECT_EQ(redis.client.endpoint.host, "cache");
  EXPECT_EQ(redis.client.endpoint.port, 6380);
  EXPECT_EQ(redis.client.endpoint.password, "pw");
  EXPECT_EQ(redis.client.endpoint.db, 2);
  EXPECT_EQ(redis.client.timeout, std::chrono::milliseconds(20));
  for (const char* bad : {"rediss://cache:6380", "redis://cache:99999", "redis://cache/x"}) {
    auto e = LoadEnv({{"REDIS_URL", bad}});
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.status().message().find("REDIS_URL"), std::string::npos) << e.status().message();
  }
  EXPECT_NE(LoadEnv({{"REDIS_URL", "rediss://c"}}).status().message().find("TLS"),
            std::string::npos);
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_REDIS_TIMEOUT_MS", "0"}}).ok());
}

TEST(ConfigTest, LatestTelemetryTtlAndRedisInterval) {
  auto r = LoadEnv({{"ASTRAGUARD_LATEST_TTL_SECONDS", "60"},
                    {"ASTRAGUARD_REDIS_LATEST_INTERVAL_MS", "250"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.mission.latest_ttl, std::chrono::seconds(60));
  EXPECT_EQ(r->config.mission.latest_redis_interval, std::chrono::milliseconds(250));
  auto bad = LoadEnv({{"ASTRAGUARD_LATEST_TTL_SECONDS", "0"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ASTRAGUARD_LATEST_TTL_SECONDS"), std::string::npos);
  EXPECT_FALSE(LoadEnv({{"ASTRAGUARD_REDIS_LATEST_INTERVAL_MS", "x"}}).ok());
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

namespace astraguard::config {
namespace {

// Every boolean variable accepts the same spellings, case-insensitive, and nothing else.
TEST(ConfigTest, EveryBooleanAcceptsTheSameValues) {
  for (const char* var : {"ENABLE_JSON_LOGGING", "OTEL_SDK_DISABLED"}) {
    for (const char* yes : {"true", "TRUE", "True", "1", "yes", "YES", " true "}) {
      auto r = Load({{var, yes}}, {}, "1");
      ASSERT_TRUE(r.ok()) << var << "=" << yes << ": " << r.status().message();
      const bool on = std::string_view(var) == "ENABLE_JSON_LOGGING"
                          ? r->config.log.format == obs::LogFormat::kJson
                          : !r->config.tracing.enabled;
      EXPECT_TRUE(on) << var << "=" << yes;
    }
    for (const char* no : {"false", "FALSE", "0", "no", "No"}) {
      auto r = Load({{var, no}}, {}, "1");
      ASSERT_TRUE(r.ok()) << var << "=" << no << ": " << r.status().message();
      EXPECT_EQ(r->config.log.format, obs::LogFormat::kConsole) << var << "=" << no;
      EXPECT_TRUE(r->config.tracing.enabled) << var << "=" << no;
    }
    for (const char* bad : {"maybe", "on", "off", "2", "t", ""}) {
      if (std::string_view(var) == "OTEL_SDK_DISABLED" && *bad == '\0') continue;  // unset
      auto r = Load({{var, bad}}, {}, "1");
      ASSERT_FALSE(r.ok()) << var << "=" << bad;
      EXPECT_NE(r.status().message().find(var), std::string::npos) << r.status().message();
    }
  }
}

TEST(ConfigTest, LogLevelAcceptsTheDocumentedNamesInAnyCaseFromEnvAndFlag) {
  const std::pair<const char*, obs::LogLevel> cases[] = {
      {"DEBUG", obs::LogLevel::kDebug},     {"info", obs::LogLevel::kInfo},
      {"Warning", obs::LogLevel::kWarning}, {"warn", obs::LogLevel::kWarning},
      {"ERROR", obs::LogLevel::kError},     {"critical", obs::LogLevel::kCritical}};
  for (const auto& [value, level] : cases) {
    auto env = Load({{"LOG_LEVEL", value}}, {}, "1");
    ASSERT_TRUE(env.ok()) << value << ": " << env.status().message();
    EXPECT_EQ(env->config.log.level, level) << value;
    auto flag = Load({}, {{"LOG_LEVEL", value}}, "1");
    ASSERT_TRUE(flag.ok()) << value;
    EXPECT_EQ(flag->config.log.level, level) << value;
  }
  auto bad = Load({}, {{"LOG_LEVEL", "LOUD"}}, "1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--log-level"), std::string::npos);
  EXPECT_FALSE(Load({{"LOG_LEVEL", ""}}, {}, "1").ok());
}

TEST(ConfigTest, EnvironmentAndVersionReachLogsAndTraces) {
  auto r = Load({{"ENVIRONMENT", "staging"}, {"APP_VERSION", "2.1.0"}}, {}, "1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.environment, "staging");
  EXPECT_EQ(r->config.log.environment, "staging");
  EXPECT_EQ(r->config.log.version, "2.1.0");
  auto env = r->config.tracing.resource.attributes.Find("deployment.environment.name");
  ASSERT_TRUE(env.has_value());
  EXPECT_EQ(std::get<std::string_view>(*env), "staging");
  EXPECT_FALSE(Load({{"ENVIRONMENT", "prod env"}}, {}, "1").ok());
}

TEST(ConfigTest, EveryVariableIsOneRowOfTheTable) {
  std::set<std::string_view> names;
  for (const Setting& s : Settings()) {
    EXPECT_TRUE(names.insert(s.env).second) << s.env << " has two rows";
    EXPECT_FALSE(s.help.empty()) << s.env;
  }
  for (std::string_view var :
       {"LOG_LEVEL", "ENABLE_JSON_LOGGING", "ENVIRONMENT", "APP_VERSION", "METRICS_USER",
        "METRICS_PASSWORD", "JAEGER_HOST", "JAEGER_PORT", "OTEL_EXPORTER_JAEGER_ENDPOINT",
        "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "SERVICE_NAME",
        "OTEL_BSP_MAX_QUEUE_SIZE", "PROMETHEUS_PORT", "REDIS_URL"}) {
    EXPECT_TRUE(names.contains(var)) << var;
  }
}

TEST(ConfigTest, DescribeShowsMetricsCredentialsWithThePasswordRedacted) {
  auto r = Load({{"METRICS_USER", "prom"}, {"METRICS_PASSWORD", "s3cret"}}, {}, "1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::string text = Describe(*r);
  EXPECT_NE(text.find("METRICS_USER=prom  (env)"), std::string::npos) << text;
  EXPECT_NE(text.find("METRICS_PASSWORD=<redacted>  (env)"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  const std::string unset = Describe(*Load({}, {}, "1"));
  EXPECT_NE(unset.find("METRICS_USER=  (default)"), std::string::npos) << unset;
  EXPECT_NE(unset.find("METRICS_PASSWORD=  (default)"), std::string::npos) << unset;
}

TEST(ConfigTest, DescribeShowsTheResolvedTracesEndpointAndItsSource) {
  auto jaeger = Load({{"JAEGER_HOST", "jaeger"}, {"JAEGER_PORT", "6831"}}, {}, "1");
  ASSERT_TRUE(jaeger.ok());
  std::string text = Describe(*jaeger);
  EXPECT_NE(text.find("OTLP traces endpoint = http://jaeger:4318/v1/traces (from JAEGER_HOST)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("JAEGER_HOST=jaeger  (env)"), std::string::npos) << text;
  auto otlp = Load({{"JAEGER_HOST", "jaeger"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/"}},
                   {}, "1");
  ASSERT_TRUE(otlp.ok());
  text = Describe(*otlp);
  EXPECT_NE(text.find("OTLP traces endpoint = http://c:4318/v1/traces (from "
                      "OTEL_EXPORTER_OTLP_ENDPOINT)"),
            std::string::npos)
      << text;
  text = Describe(*Load({{"OTEL_SDK_DISABLED", "true"}}, {}, "1"));
  EXPECT_NE(text.find("OTLP traces endpoint = http://localhost:4318/v1/traces (default); "
                      "tracing disabled"),
            std::string::npos)
      << text;
}

TEST(ConfigTest, HelpListsEveryVariableWithItsDefaultAndMeaning) {
  const std::string help = Help("1.2.3");
  for (const Setting& s : Settings()) {
    const size_t at = help.find("\n  " + std::string(s.env));
    ASSERT_NE(at, std::string::npos) << s.env;
    const size_t end = help.find("\n\n", at + 1);
    const std::string entry = help.substr(at, end == std::string::npos ? end : end - at);
    EXPECT_NE(entry.find("(default: "), std::string::npos) << entry;
    EXPECT_NE(entry.find(s.help), std::string::npos) << entry;
    if (!s.flag.empty()) {
      EXPECT_NE(entry.find(s.flag), std::string::npos) << entry;
    }
  }
  EXPECT_NE(help.find("ASTRAGUARD_PORT, --port  (default: 8000)"), std::string::npos) << help;
  EXPECT_NE(help.find("APP_VERSION  (default: 1.2.3)"), std::string::npos) << help;
  EXPECT_NE(help.find("LOG_LEVEL, --log-level  (default: INFO)"), std::string::npos) << help;
  EXPECT_NE(help.find("METRICS_USER  (default: unset)"), std::string::npos) << help;
}

TEST(ConfigTest, ResilienceSettingsHaveTheGuideDefaultsAndParse) {
  auto d = LoadEnv({});
  ASSERT_TRUE(d.ok());
  const ResilienceConfig& r = d->config.resilience;
  EXPECT_EQ(r.breaker.failure_threshold, 5);
  EXPECT_EQ(r.breaker.success_threshold, 2);
  EXPECT_EQ(r.breaker.open_timeout, std::chrono::seconds(60));
  EXPECT_EQ(r.retry.max_attempts, 3);
  EXPECT_EQ(r.retry.base, std::chrono::milliseconds(500));
  EXPECT_EQ(r.retry.cap, std::chrono::seconds(8));
  EXPECT_EQ(r.health.interval, std::chrono::seconds(5));
  auto set = LoadEnv({{"ASTRAGUARD_BREAKER_FAILURE_THRESHOLD", "3"},
                      {"ASTRAGUARD_BREAKER_SUCCESS_THRESHOLD", "1"},
                      {"ASTRAGUARD_BREAKER_OPEN_TIMEOUT_MS", "250"},
                      {"ASTRAGUARD_RETRY_MAX_ATTEMPTS", "5"},
                      {"ASTRAGUARD_RETRY_BASE_MS", "100"},
                      {"ASTRAGUARD_RETRY_MAX_BACKOFF_MS", "2000"},
                      {"ASTRAGUARD_HEALTH_INTERVAL_MS", "50"}});
  ASSERT_TRUE(set.ok()) << set.status().message();
  const ResilienceConfig& s = set->config.resilience;
  EXPECT_EQ(s.breaker.failure_threshold, 3);
  EXPECT_EQ(s.breaker.success_threshold, 1);
  EXPECT_EQ(s.breaker.open_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(s.retry.max_attempts, 5);
  EXPECT_EQ(s.retry.base, std::chrono::milliseconds(100));
  EXPECT_EQ(s.retry.cap, std::chrono::milliseconds(2000));
  EXPECT_EQ(s.health.interval, std::chrono::milliseconds(50));
  for (const char* name : {"ASTRAGUARD_BREAKER_FAILURE_THRESHOLD", "ASTRAGUARD_RETRY_MAX_ATTEMPTS",
                           "ASTRAGUARD_HEALTH_INTERVAL_MS", "ASTRAGUARD_ENABLE_CHAOS"}) {
    auto bad = LoadEnv({{name, "0x"}});
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_EQ(bad.status().message().rfind(name, 0), 0u) << bad.status().message();
  }
}

TEST(ConfigTest, ChaosIsAllowedOutsideProductionOrWhenEnabled) {
  EXPECT_TRUE(LoadEnv({})->config.resilience.chaos.enabled);
  const std::pair<std::string, std::string> key{"ASTRAGUARD_API_KEYS", "admin:k"};
  EXPECT_FALSE(LoadEnv({{"ENVIRONMENT", "production"}, key})->config.resilience.chaos.enabled);
  EXPECT_TRUE(
      LoadEnv({{"ENVIRONMENT", "production"}, key, {"ASTRAGUARD_ENABLE_CHAOS", "true"}})
          ->config.resilience.chaos.enabled);
  EXPECT_FALSE(LoadEnv({})->config.resilience.chaos.redis_configured);
  EXPECT_TRUE(
      LoadEnv({{"REDIS_URL", "redis://127.0.0.1:6379/0"}})->config.resilience.chaos.redis_configured);
}

}  // namespace
}  // namespace astraguard::config
