// Exports real spans through TracingPipeline (BatchSpanProcessor + OtlpHttpExporter + our
// HTTP client) to tests/otlp-receiver, which decodes them with the pinned npm decoder.
#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "astraguard/common/testing/free_port.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/obs/otlp/testing/otlp_receiver.hpp"
#include "astraguard/obs/otlp/tracing_pipeline.hpp"

namespace astraguard::obs {
namespace {

using testing::OtlpReceiver;
using namespace std::chrono_literals;

constexpr std::string_view kIncoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The tracing options the service's settings table (config/) makes of these variables.
TracingConfig ConfigFor(const std::string& endpoint, config::EnvMap extra = {}) {
  config::EnvMap env = {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint},
                {"OTEL_SERVICE_NAME", "astra-guard-test"},
                {"OTEL_RESOURCE_ATTRIBUTES", "team=ops"},
                {"OTEL_BSP_SCHEDULE_DELAY", "50"},
                {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k1"}};
  for (auto& [k, v] : extra) env[k] = v;
  auto c = config::Load(env, {}, "1.0.0");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c->config.tracing;
}

const boost::json::object* FindByName(const std::vector<boost::json::object>& spans,
                                      std::string_view name) {
  for (const auto& s : spans)
    if (s.at("name").as_string() == name) return &s;
  return nullptr;
}

// Emits the request + detection spans a telemetry POST produces; returns the server trace id.
void EmitRequest(Tracer& tracer, int status) {
  HttpServerSpanInfo info;
  info.method = "POST";
  info.route = "/api/v1/telemetry";
  info.path = "/api/v1/telemetry";
  info.server_port = 8000;
  info.client_address = "127.0.0.1";
  info.user_agent = "it/1";
  info.traceparent = kIncoming;
  info.tracestate = "vendor=v1";
  ScopedSpan server(StartHttpServerSpan(tracer, info));
  {
    ScopedSpan det(tracer.StartSpan("anomaly_detection"));
    det->AddAttribute(StaticKey("data.size"), std::int64_t{1});
    det->AddAttribute(StaticKey("model"), std::string_view("detector_v1"));
    det->SetAttribute("hostile", std::string_view("q\"\n\xff"));
  }
  SetHttpServerSpanResult(server.span(), status);
}

void CheckDecoded(const OtlpReceiver& rx, std::string_view content_type) {
  auto spans = rx.WaitForSpans(2, 10s);
  ASSERT_EQ(spans.size(), 2u);
  const auto* server = FindByName(spans, "POST /api/v1/telemetry");
  const auto* det = FindByName(spans, "anomaly_detection");
  ASSERT_NE(server, nullptr);
  ASSERT_NE(det, nullptr);
  // Trace id propagated from the incoming traceparent; parent/child links.
  EXPECT_EQ(server->at("traceId").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(server->at("parentSpanId").as_string(), "00f067aa0ba902b7");
  EXPECT_EQ(server->at("traceState").as_string(), "vendor=v1");
  EXPECT_EQ(det->at("traceId").as_string(), server->at("traceId").as_string());
  EXPECT_EQ(det->at("parentSpanId").as_string(), server->at("spanId").as_string());
  EXPECT_NE(det->at("spanId").as_string(), server->at("spanId").as_string());
  // Kinds, status, attributes.
  EXPECT_EQ(server->at("kind").as_int64(), 2);               // SERVER
  EXPECT_EQ(det->at("kind").as_int64(), 1);                  // INTERNAL
  EXPECT_EQ(server->at("status").at("code").as_int64(), 2);  // ERROR on 5xx
  const auto& a = server->at("attributes").as_object();
  EXPECT_EQ(a.at("http.request.method").as_string(), "POST");
  EXPECT_EQ(a.at("http.route").as_string(), "/api/v1/telemetry");
  EXPECT_EQ(a.at("url.path").as_string(), "/api/v1/telemetry");
  EXPECT_EQ(a.at("http.response.status_code").to_number<int>(), 503);
  EXPECT_EQ(a.at("server.port").to_number<int>(), 8000);
  EXPECT_EQ(a.at("client.address").as_string(), "127.0.0.1");
  EXPECT_EQ(a.at("user_agent.original").as_string(), "it/1");
  const auto& d = det->at("attributes").as_object();
  EXPECT_EQ(d.at("data.size").to_number<int>(), 1);
  EXPECT_EQ(d.at("model").as_string(), "detector_v1");
  EXPECT_EQ(d.at("hostile").as_string(), "q\"\n\xEF\xBF\xBD");
  // Timing: child inside parent, non-zero duration.
  auto ns = [](const boost::json::object& s, const char* k) {
    return std::stoull(std::string(s.at(k).as_string()));
  };
  EXPECT_GE(ns(*det, "startTimeUnixNano"), ns(*server, "startTimeUnixNano"));
  EXPECT_LE(ns(*det, "endTimeUnixNano"), ns(*server, "endTimeUnixNano"));
  EXPECT_GT(ns(*server, "endTimeUnixNano"), ns(*server, "startTimeUnixNano"));
  // Resource and headers.
  const auto& r = server->at("resource").as_object();
  EXPECT_EQ(r.at("service.name").as_string(), "astra-guard-test");
  EXPECT_EQ(r.at("team").as_string(), "ops");
  auto requests = rx.Lines("request");
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].at("contentType").as_string(), content_type);
  EXPECT_EQ(requests[0].at("headers").at("x-api-key").as_string(), "k1");
  EXPECT_TRUE(rx.Lines("error").empty());
}

TEST(OtlpExportTest, ProtobufExportDecodesWithReferenceDecoder) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started()) << "receiver did not start; run scripts/test-deps.sh";
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint()), clock, {registry});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EmitRequest((*p)->tracer(), 503);
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  CheckDecoded(rx, "application/x-protobuf");
  // One or two batches: the 50 ms timer may fire between the two spans' ends.
  EXPECT_GE((*p)->stats().exporter.batches_ok, 1u);
  EXPECT_EQ((*p)->stats().batch.exported, 2u);
}

TEST(OtlpExportTest, JsonExportDecodesWithReferenceDecoder) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(
      ConfigFor(rx.endpoint(), {{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}), clock,
      {registry});
  ASSERT_TRUE(p.ok());
  EmitRequest((*p)->tracer(), 503);
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  CheckDecoded(rx, "application/json");
}

TEST(OtlpExportTest, ShutdownFlushesPendingSpans) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(
      ConfigFor(rx.endpoint(), {{"OTEL_BSP_SCHEDULE_DELAY", "600000"}}), clock, {registry});
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 5; ++i) {
    Span s = (*p)->tracer().StartSpan("pending");
  }
  (*p)->Shutdown(5s);
  EXPECT_EQ(rx.WaitForSpans(5, 5s).size(), 5u);
}

TEST(OtlpExportTest, RetriesOn503HonouringRetryAfter) {
  OtlpReceiver rx({"--respond", "503:1", "--retry-after", "1"});
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint()), clock, {registry});
  ASSERT_TRUE(p.ok());
  { Span s = (*p)->tracer().StartSpan("retried"); }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);  // waited Retry-After: 1
  auto requests = rx.Lines("request");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].at("status").as_int64(), 503);
  EXPECT_EQ(requests[1].at("status").as_int64(), 200);
  EXPECT_EQ(rx.Lines("span").size(), 1u);
  auto st = (*p)->stats();
  EXPECT_EQ(st.exporter.retries, 1u);
  EXPECT_EQ(st.batch.exported, 1u);
}

TEST(OtlpExportTest, DoesNotRetryNonRetryableStatus) {
  OtlpReceiver rx({"--respond", "400"});
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint()), clock, {registry});
  ASSERT_TRUE(p.ok());
  { Span s = (*p)->tracer().StartSpan("rejected"); }
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  EXPECT_EQ(rx.Lines("request").size(), 1u);
  auto st = (*p)->stats();
  EXPECT_EQ(st.exporter.requests, 1u);
  EXPECT_EQ(st.exporter.last_status, 400);
  EXPECT_EQ(st.batch.export_failed, 1u);
}

TEST(OtlpExportTest, DeadReceiverNeverBlocksOrFailsCallers) {
  SystemClock clock;
  prometheus::Registry registry;
  const std::string dead = "http://127.0.0.1:" + std::to_string(astraguard::testing::FreePort()) + "/v1/traces";
  auto p = TracingPipeline::Create(ConfigFor(dead, {{"OTEL_BSP_MAX_QUEUE_SIZE", "256"},
                                                    {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"},
                                                    {"OTEL_BSP_SCHEDULE_DELAY", "5"}}),
                                   clock, {registry});
  ASSERT_TRUE(p.ok());
  Tracer& tracer = (*p)->tracer();
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRequests = 20000;
  for (int i = 0; i < kRequests; ++i) EmitRequest(tracer, 200);
  const auto took = std::chrono::steady_clock::now() - start;
  // 40k spans in well under a second of caller time: nothing waited for the network (a caller
  // that waited for the retrier's backoff would take minutes). Sanitizer builds run this loop
  // several times slower (6.4 s under TSan), so they get a wider budget.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(took, 30s);
#else
  EXPECT_LT(took, 2s);
#endif
  EXPECT_TRUE(tracer.ForceFlush(10s));
  auto st = (*p)->stats();
  EXPECT_EQ(st.exporter.batches_ok, 0u);
  EXPECT_GT(st.exporter.batches_failed, 0u);
  EXPECT_EQ(st.batch.queued + st.batch.dropped, 2u * kRequests);
  EXPECT_EQ(st.batch.exported, 0u);
  const auto shutdown_start = std::chrono::steady_clock::now();
  (*p)->Shutdown(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - shutdown_start, 3s);
}

// `n` bytes: `tag` padded with `fill` (letters and digits only: safe in OTEL_RESOURCE_ATTRIBUTES).
std::string Sized(const std::string& tag, std::size_t n, char fill) {
  std::string s = tag;
  s.resize(n, fill);
  return s;
}

// The one span of a single-span export, decoded by the pinned npm decoder (no decode errors).
boost::json::object OnlyDecodedSpan(const OtlpReceiver& rx) {
  auto spans = rx.WaitForSpans(1, 10s);
  for (const auto& e : rx.Lines("error")) ADD_FAILURE() << "decoder: " << e.at("message");
  EXPECT_EQ(spans.size(), 1u);
  return spans.empty() ? boost::json::object() : spans[0];
}

TEST(OtlpExportTest, LongResourceAndSpanAttributesDecodeWithReferenceDecoder) {
  // Resource attributes from OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME whose key and value
  // are each short but whose KeyValue is over 127 bytes (61 + 61 and 63 + 63: 128 and 132
  // bytes), just under (60 + 60: 126), and of several hundred and over 16384 bytes.
  const std::pair<std::size_t, std::size_t> sizes[] = {{60, 60}, {61, 61}, {63, 63}, {40, 90},
                                                       {300, 700}, {20, 16400}};
  std::vector<std::pair<std::string, std::string>> resource;
  std::string list;
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    const std::string n = std::to_string(i);
    resource.emplace_back(Sized("k" + n + "x", sizes[i].first, 'a'),
                          Sized("v" + n + "x", sizes[i].second, 'b'));
    if (!list.empty()) list += ',';
    list += resource.back().first + "=" + resource.back().second;
  }
  const std::string service = Sized("svc", 400, 's');
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(
      ConfigFor(rx.endpoint(),
                {{"OTEL_RESOURCE_ATTRIBUTES", list}, {"OTEL_SERVICE_NAME", service}}),
      clock, {registry});
  ASSERT_TRUE(p.ok());
  // A span whose attributes, event, status message and name are long the same ways.
  const std::string name = Sized("span", 300, 'n');
  const std::string k61 = Sized("k61", 61, 'c'), v61 = Sized("v61", 61, 'd');
  const std::string k63 = Sized("k63", 63, 'c'), v63 = Sized("v63", 63, 'd');
  const std::string k120 = Sized("k120", 120, 'c');
  const std::string k500 = Sized("k500", 500, 'c'), v900 = Sized("v900", 900, 'd');
  const std::string ex_type = Sized("E", 63, 'e'), ex_message = Sized("M", 110, 'm');
  const std::string status = Sized("status", 200, 't');
  {
    Span s = (*p)->tracer().StartSpan(name);
    s.SetAttribute(k61, std::string_view(v61));
    s.SetAttribute(k63, std::string_view(v63));
    s.SetAttribute(k120, std::int64_t{-5});
    s.SetAttribute(k500, std::string_view(v900));
    s.RecordException(ex_type, ex_message);
    s.SetStatus(SpanStatus::kError, status);
  }
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  const auto span = OnlyDecodedSpan(rx);
  ASSERT_FALSE(span.empty());
  const auto& r = span.at("resource").as_object();
  EXPECT_EQ(r.at("service.name").as_string(), service);
  for (const auto& [k, v] : resource) {
    ASSERT_TRUE(r.contains(k)) << k.size() << "-byte key";
    EXPECT_EQ(r.at(k).as_string(), v) << k.size() << "-byte key";
  }
  EXPECT_EQ(span.at("name").as_string(), name);
  const auto& a = span.at("attributes").as_object();
  EXPECT_EQ(a.at(k61).as_string(), v61);
  EXPECT_EQ(a.at(k63).as_string(), v63);
  EXPECT_EQ(a.at(k120).to_number<int>(), -5);
  EXPECT_EQ(a.at(k500).as_string(), v900);
  const auto& events = span.at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("attributes").at("exception.type").as_string(), ex_type);
  EXPECT_EQ(events[0].at("attributes").at("exception.message").as_string(), ex_message);
  EXPECT_EQ(span.at("status").at("message").as_string(), status);
  EXPECT_EQ((*p)->stats().exporter.batches_ok, 1u);
}

TEST(OtlpExportTest, AttributesAroundTheOneByteKeyValueLengthDecodeWithReferenceDecoder) {
  // Every key and value length in 56..66: KeyValue bodies from 118 to 138 bytes, as resource
  // attributes (121 of them plus the 5 defaults: within AttributeList's 128) and as attributes
  // of one span.
  std::vector<std::pair<std::string, std::string>> kvs;
  std::string list;
  for (std::size_t k = 56; k <= 66; ++k) {
    for (std::size_t v = 56; v <= 66; ++v) {
      const std::string id = std::to_string(k) + "x" + std::to_string(v) + "x";
      kvs.emplace_back(Sized("k" + id, k, 'a'), Sized("v" + id, v, 'b'));
      if (!list.empty()) list += ',';
      list += kvs.back().first + "=" + kvs.back().second;
    }
  }
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint(), {{"OTEL_RESOURCE_ATTRIBUTES", list}}),
                                   clock, {registry});
  ASSERT_TRUE(p.ok());
  {
    Span s = (*p)->tracer().StartSpan("grid");
    for (const auto& [k, v] : kvs) s.SetAttribute(k, std::string_view(v));
  }
  ASSERT_TRUE((*p)->tracer().ForceFlush(10s));
  const auto span = OnlyDecodedSpan(rx);
  ASSERT_FALSE(span.empty());
  const auto& r = span.at("resource").as_object();
  const auto& a = span.at("attributes").as_object();
  EXPECT_EQ(r.at("service.name").as_string(), "astra-guard-test");
  EXPECT_EQ(a.size(), kvs.size());
  for (const auto& [k, v] : kvs) {
    SCOPED_TRACE(::testing::Message() << k.size() << "-byte key, " << v.size() << "-byte value");
    ASSERT_TRUE(r.contains(k));
    EXPECT_EQ(r.at(k).as_string(), v);
    ASSERT_TRUE(a.contains(k));
    EXPECT_EQ(a.at(k).as_string(), v);
  }
}

// The breaker state and a transition count of the "otlp_exporter" breaker.
double BreakerMetric(const prometheus::Registry& registry, const char* family,
                     const std::map<std::string, std::string>& labels) {
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : m.label) got[l.name] = l.value;
      if (got == labels) return f.type == prometheus::MetricType::Gauge ? m.gauge.value
                                                                        : m.counter.value;
    }
  }
  return -1;
}

double Transitions(const prometheus::Registry& registry, const char* from, const char* to) {
  return BreakerMetric(registry, "astra_circuit_breaker_transitions_total",
                       {{"name", "otlp_exporter"}, {"from_state", from}, {"to_state", to}});
}

// Ends one span and flushes it as its own batch.
void ExportOne(TracingPipeline& p) {
  { Span s = p.tracer().StartSpan("one"); }
  ASSERT_TRUE(p.tracer().ForceFlush(10s));
}

TEST(OtlpExportBreakerTest, OpensOnADeadCollectorAndClosesWhenItAnswersAgain) {
  SystemClock clock;
  prometheus::Registry registry;
  const int port = astraguard::testing::FreePort();
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  auto p = TracingPipeline::Create(
      ConfigFor(endpoint, {{"OTEL_BSP_SCHEDULE_DELAY", "600000"}}), clock,
      {.registry = registry, .breaker = {.open_timeout = 300ms}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Transitions(registry, "closed", "open"), 0);
  for (int i = 0; i < 5; ++i) ExportOne(**p);
  EXPECT_EQ((*p)->breaker()->state(), resilience::BreakerState::kOpen);
  EXPECT_EQ(Transitions(registry, "closed", "open"), 1);
  EXPECT_EQ(BreakerMetric(registry, "astra_circuit_breaker_state", {{"name", "otlp_exporter"}}),
            1);
  // Open: the next batch fails without a request.
  const auto requests = (*p)->stats().exporter.requests;
  ExportOne(**p);
  EXPECT_EQ((*p)->stats().exporter.requests, requests);

  OtlpReceiver rx({"--port", std::to_string(port)});
  ASSERT_TRUE(rx.started());
  std::this_thread::sleep_for(350ms);  // past the open timeout
  ExportOne(**p);
  EXPECT_EQ((*p)->breaker()->state(), resilience::BreakerState::kHalfOpen);
  ExportOne(**p);
  EXPECT_EQ((*p)->breaker()->state(), resilience::BreakerState::kClosed);
  EXPECT_EQ(Transitions(registry, "open", "half_open"), 1);
  EXPECT_EQ(Transitions(registry, "half_open", "closed"), 1);
  EXPECT_EQ(rx.WaitForSpans(2, 5s).size(), 2u);
}

TEST(OtlpExportBreakerTest, ExporterOutageSwitchFailsFastAndOpensTheBreaker) {
  OtlpReceiver rx;
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  resilience::FaultSwitches faults;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint(), {{"OTEL_BSP_SCHEDULE_DELAY", "600000"}}),
                                   clock, {.registry = registry, .faults = &faults});
  ASSERT_TRUE(p.ok());
  faults.exporter_outage = true;
  for (int i = 0; i < 5; ++i) ExportOne(**p);
  EXPECT_EQ((*p)->breaker()->state(), resilience::BreakerState::kOpen);
  EXPECT_EQ((*p)->breaker()->last_error(), "chaos experiment exporter_outage");
  EXPECT_EQ((*p)->stats().exporter.requests, 0u);
  EXPECT_TRUE(rx.Lines("request").empty());
}

TEST(OtlpExportBreakerTest, RetriesCountInTheRetryMetrics) {
  OtlpReceiver rx({"--respond", "503:1", "--retry-after", "0"});
  ASSERT_TRUE(rx.started());
  SystemClock clock;
  prometheus::Registry registry;
  auto p = TracingPipeline::Create(ConfigFor(rx.endpoint(), {{"OTEL_BSP_SCHEDULE_DELAY", "600000"}}),
                                   clock, {registry});
  ASSERT_TRUE(p.ok());
  ExportOne(**p);
  auto outcome = [&](const char* o) {
    return BreakerMetric(registry, "astra_retry_attempts_total",
                         {{"endpoint", "otlp_exporter"}, {"outcome", o}});
  };
  EXPECT_EQ(outcome("retry"), 1);
  EXPECT_EQ(outcome("success"), 1);
  EXPECT_EQ(outcome("exhausted"), 0);
  EXPECT_EQ((*p)->breaker()->state(), resilience::BreakerState::kClosed);
}

}  // namespace
}  // namespace astraguard::obs
