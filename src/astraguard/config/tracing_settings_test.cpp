// The OpenTelemetry and Jaeger rows of the settings table (tracing_settings.cpp), and the
// logging and metrics-auth settings they used to be parsed with.
#include <gtest/gtest.h>

#include "astraguard/config/config.hpp"

namespace astraguard::config {
namespace {

using obs::LogFormat;
using obs::LogLevel;
using obs::OtlpProtocol;
using obs::Resource;
using obs::SamplerKind;

// The configuration as the service loads it from `env` (no flags), or the error.
Result<Config> ParseObsConfig(const EnvMap& env) {
  auto loaded = Load(env, {}, "1.0.0");
  if (!loaded.ok()) return loaded.status();
  return loaded->config;
}

std::string Attr(const Resource& r, std::string_view key) {
  auto v = r.attributes.Find(key);
  return v ? std::string(std::get<std::string_view>(*v)) : "<missing>";
}

TEST(TracingSettingsTest, DefaultsMatchOpenTelemetryAndTheGuide) {
  auto c = ParseObsConfig({});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->log.level, LogLevel::kInfo);
  EXPECT_EQ(c->log.format, LogFormat::kConsole);
  EXPECT_EQ(c->log.service, "astra-guard");
  EXPECT_EQ(c->log.environment, "development");
  EXPECT_TRUE(c->tracing.enabled);
  EXPECT_EQ(c->tracing.exporter.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(c->tracing.exporter.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(c->tracing.sampler.kind, SamplerKind::kParentBasedAlwaysOn);
  EXPECT_EQ(c->tracing.batch.max_queue_size, 2048u);
  EXPECT_EQ(c->tracing.batch.max_export_batch_size, 512u);
  EXPECT_EQ(c->tracing.batch.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_FALSE(c->metrics_auth.enabled());
}

TEST(TracingSettingsTest, ProductionDefaultsToJsonLogs) {
  auto c = ParseObsConfig({{"ENVIRONMENT", "production"},
                           {"ASTRAGUARD_API_KEYS", "admin:k"},
                           {"APP_VERSION", "1.4.0"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  EXPECT_EQ(c->log.version, "1.4.0");
  EXPECT_EQ(Attr(c->tracing.resource, "deployment.environment.name"), "production");
  EXPECT_EQ(Attr(c->tracing.resource, "service.version"), "1.4.0");
  auto off = ParseObsConfig({{"ENVIRONMENT", "production"},
                             {"ASTRAGUARD_API_KEYS", "admin:k"},
                             {"ENABLE_JSON_LOGGING", "false"}});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->log.format, LogFormat::kConsole);
}

TEST(TracingSettingsTest, GuideJaegerVariablesMapOntoOtlpHttp) {
  auto a = ParseObsConfig({{"JAEGER_HOST", "jaeger"}, {"JAEGER_PORT", "6831"}});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->tracing.exporter.endpoint, "http://jaeger:4318/v1/traces");
  EXPECT_EQ(a->tracing.endpoint_source, "JAEGER_HOST");
  auto b = ParseObsConfig({{"JAEGER_HOST", "ignored"},
                           {"OTEL_EXPORTER_JAEGER_ENDPOINT", "http://jaeger:14268/api/traces"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->tracing.exporter.endpoint, "http://jaeger:4318/v1/traces");
  auto c = ParseObsConfig({{"OTEL_EXPORTER_JAEGER_ENDPOINT", "http://jaeger:14268/api/traces"},
                           {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tracing.exporter.endpoint, "http://collector:4318/v1/traces");
  auto d = ParseObsConfig({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                           {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->tracing.exporter.endpoint, "http://t:9/custom");
  EXPECT_FALSE(ParseObsConfig({{"JAEGER_PORT", "abc"}}).ok());
}

TEST(TracingSettingsTest, StandardOtelVariables) {
  auto c = ParseObsConfig({
      {"OTEL_SERVICE_NAME", "ag-east"},
      {"OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,team=ops%2Cflight, region = eu "},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%3D,tenant=t1"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
      {"OTEL_TRACES_SAMPLER_ARG", "0.1"},
      {"OTEL_BSP_SCHEDULE_DELAY", "200"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "50"},
      {"OTEL_BSP_EXPORT_TIMEOUT", "4000"},
      {"LOG_LEVEL", "warning"},
  });
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(Attr(c->tracing.resource, "service.name"), "ag-east");
  EXPECT_EQ(c->log.service, "ag-east");
  EXPECT_EQ(Attr(c->tracing.resource, "team"), "ops,flight");
  EXPECT_EQ(Attr(c->tracing.resource, "region"), "eu");
  EXPECT_EQ(c->tracing.exporter.protocol, OtlpProtocol::kHttpJson);
  ASSERT_EQ(c->tracing.exporter.headers.size(), 2u);
  EXPECT_EQ(c->tracing.exporter.headers[0].second, "abc=");
  EXPECT_EQ(c->tracing.exporter.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->tracing.sampler.kind, SamplerKind::kParentBasedTraceIdRatio);
  EXPECT_DOUBLE_EQ(c->tracing.sampler.ratio, 0.1);
  EXPECT_EQ(c->tracing.batch.schedule_delay, std::chrono::milliseconds(200));
  EXPECT_EQ(c->tracing.batch.max_queue_size, 100u);
  EXPECT_EQ(c->tracing.batch.max_export_batch_size, 50u);
  EXPECT_EQ(c->log.level, LogLevel::kWarning);
}

TEST(TracingSettingsTest, AnAbsentCollectorIsAWarningOnlyInProduction) {
  auto dev = ParseObsConfig({});
  ASSERT_TRUE(dev.ok());
  EXPECT_FALSE(dev->tracing.warn_unreachable);
  auto prod = ParseObsConfig({{"ENVIRONMENT", "production"}, {"ASTRAGUARD_API_KEYS", "admin:k"}});
  ASSERT_TRUE(prod.ok());
  EXPECT_TRUE(prod->tracing.warn_unreachable);
}

TEST(TracingSettingsTest, SdkDisabledAndExporterNone) {
  auto a = ParseObsConfig({{"OTEL_SDK_DISABLED", "true"}});
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->tracing.enabled);
  auto b = ParseObsConfig({{"OTEL_TRACES_EXPORTER", "none"}});
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tracing.enabled);
  auto p = ParseObsConfig({{"OTEL_PROPAGATORS", "none"}});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->tracing.propagate_w3c);
}

TEST(TracingSettingsTest, MalformedValuesFailNamingTheVariable) {
  struct Case {
    const char* var;
    const char* value;
  } cases[] = {
      {"LOG_LEVEL", "loud"},
      {"ENABLE_JSON_LOGGING", "maybe"},
      {"OTEL_SDK_DISABLED", "perhaps"},
      {"OTEL_TRACES_SAMPLER", "sometimes"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "lots"},
      {"OTEL_RESOURCE_ATTRIBUTES", "novalue"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "a=%zz"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://secure:4318"},
      {"OTEL_TRACES_EXPORTER", "zipkin"},
      {"OTEL_PROPAGATORS", "b3"},
      {"METRICS_USER", "admin"},
  };
  for (const auto& k : cases) {
    auto c = ParseObsConfig({{k.var, k.value}});
    ASSERT_FALSE(c.ok()) << k.var << "=" << k.value;
    EXPECT_NE(c.status().message().find(k.var == std::string("METRICS_USER") ? "METRICS_PASSWORD"
                                                                             : k.var),
              std::string::npos)
        << c.status().message();
  }
  auto sampler_arg =
      ParseObsConfig({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}});
  EXPECT_FALSE(sampler_arg.ok());
  auto batch =
      ParseObsConfig({{"OTEL_BSP_MAX_QUEUE_SIZE", "10"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20"}});
  EXPECT_FALSE(batch.ok());
}

TEST(TracingSettingsTest, MetricsBasicAuth) {
  auto c = ParseObsConfig({{"METRICS_USER", "prom"}, {"METRICS_PASSWORD", "s3cret"}});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->metrics_auth.enabled());
  EXPECT_EQ(c->metrics_auth.password, "s3cret");
}

}  // namespace
}  // namespace astraguard::config
