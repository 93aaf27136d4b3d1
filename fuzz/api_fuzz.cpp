// The API request path through the real route handlers: the router with every /api/v1 route
// (app::RegisterApiRoutes), the service core (service::TelemetryService) with the embedded
// in-memory anomaly store, no model file and a fake clock. Covers telemetry and batch bodies,
// query strings (history and recovery filters), path parameters, phase changes and feedback.
//
// Input: "<METHOD> <target>\n<content-type>\n<body>". The service lives across inputs, as it
// does across requests. Checks: no crash or sanitizer report, no 5xx, every response body JSON.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include <prometheus/registry.h>

#include "astraguard/app/routes.hpp"
#include "astraguard/common/clock.hpp"
#include "astraguard/detect/limits.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/mission/detection_metrics.hpp"
#include "astraguard/mission/metrics.hpp"
#include "astraguard/mission/policy.hpp"
#include "astraguard/mission/service.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/trace/tracer.hpp"
#include "astraguard/service/detector.hpp"
#include "astraguard/service/telemetry_service.hpp"
#include "astraguard/storage/anomaly_store.hpp"

namespace {

using namespace astraguard;

class NoSpans final : public obs::SpanProcessor {
 public:
  void OnEnd(const obs::SpanData&) override {}
  bool ForceFlush(std::chrono::milliseconds) override { return true; }
  void Shutdown(std::chrono::milliseconds) override {}
};

class NoLogs final : public obs::LogSink {
 public:
  void Write(std::string_view) override {}
};

struct Stack {
  prometheus::Registry registry;
  FakeClock clock;
  mission::PolicySet policy = *mission::ParsePolicyYaml(mission::DefaultPolicyYaml(), "<built-in>");
  storage::InMemoryAnomalyStore store{1000};
  service::Detector detector{
      {.model_path = "/nonexistent/astraguard.model",
       .limits_by_phase =
           std::vector<detect::LimitsConfig>(static_cast<size_t>(mission::kPhaseCount), detect::DefaultLimits())},
      registry};
  mission::MissionMetrics mission_metrics{registry};
  mission::DetectionMetrics detection_metrics{registry};
  mission::Service mission{policy, store, clock, mission_metrics};
  obs::Tracer tracer{obs::SamplerConfig{}, std::make_unique<NoSpans>(), clock};
  obs::Logger logger{obs::LogConfig{}, std::make_unique<NoLogs>(), clock};
  service::TelemetryService service{
      {.version = "fuzz", .environment = "fuzz"},
      detector, mission, store, clock, detection_metrics, tracer, logger};
  http::Router router;

  Stack() {
    app::RegisterApiRoutes(
        [this](const char* method, const char* pattern, http::Role role, http::RouteHandler h) {
          router.Add(method, pattern, role, std::move(h));
        },
        service);
  }
};

std::string_view TakeLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Stack* stack = new Stack();  // lives for the whole run, like the service
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view request_line = TakeLine(in);
  http::Request req;
  const size_t sp = request_line.find(' ');
  req.method = request_line.substr(0, sp);
  req.target = sp == std::string_view::npos ? std::string_view() : request_line.substr(sp + 1);
  req.content_type = TakeLine(in);
  req.body = in;
  stack->clock.Advance(std::chrono::milliseconds(100));
  const http::Match m = stack->router.Find(req.method, req.path());
  if (m.status != 200) return 0;
  http::Response res;
  m.route->handler(req, m.params, res);
  if (res.status >= 500 || res.status < 200) {
    std::fprintf(stderr, "status %d: %s\n", res.status, res.body.c_str());
    std::abort();
  }
  boost::system::error_code ec;
  (void)boost::json::parse(res.body, ec);
  if (ec) {
    std::fprintf(stderr, "response body is not JSON: %s\n", res.body.c_str());
    std::abort();
  }
  return 0;
}
