#include "astraguard/app/app.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <random>

#include "astraguard/http/json_response.hpp"
#include "astraguard/http/problem.hpp"
#include "astraguard/ingest/telemetry.hpp"

namespace astraguard::app {
namespace {

namespace json = boost::json;

std::string RandomPrefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

// "application/json" with optional parameters (charset), case-insensitive.
bool IsJson(std::string_view content_type) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (base.size() != kJson.size()) return false;
  for (size_t i = 0; i < base.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(base[i])) != kJson[i]) return false;
  }
  return true;
}

const char* SeverityLevel(double score) {
  if (score >= 0.9) return "CRITICAL";
  if (score >= 0.7) return "HIGH";
  if (score >= 0.4) return "MEDIUM";
  return "LOW";
}

// The fault family a channel belongs to; the Mission-operations classifier refines this.
const char* FaultType(std::string_view channel) {
  if (channel == "voltage" || channel == "current") return "power_fault";
  if (channel == "temperature") return "thermal_fault";
  if (channel == "gyro") return "attitude_fault";
  if (channel == "wheel_speed") return "wheel_fault";
  return "unknown";
}

}  // namespace

App::App(const config::Config& config)
    : config_(config),
      started_(std::chrono::steady_clock::now()),
      metrics_({config.version, config.environment}),
      limits_(config.limits),
      id_prefix_(RandomPrefix()) {
  RegisterRoutes();
  unmatched_metrics_ = &metrics_.ForRoute("other", "unmatched");
  rejected_metrics_ = &metrics_.ForRoute("other", "invalid_request");
  server_ = std::make_unique<http::Server>(
      config_.server, [this](const http::Request& req, http::Response& res) { Dispatch(req, res); },
      metrics_, *rejected_metrics_);
}

App::~App() { server_->Stop(); }

Status App::Start() {
  if (Status s = server_->Start(); !s.ok()) return s;
  ready_.store(true);
  return Status::Ok();
}

bool App::Shutdown() {
  ready_.store(false);
  server_->BeginDrain();
  bool idle = server_->WaitIdle(std::chrono::steady_clock::now() + config_.server.drain_timeout);
  server_->Stop();
  return idle;
}

void App::Dispatch(const http::Request& req, http::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view path = req.path();
  http::Match m;
  if (req.metrics_listener && path != "/metrics") {
    m.status = 404;
  } else {
    m = router_.Find(req.method, path);
  }
  obs::RouteMetrics* rm = unmatched_metrics_;
  if (m.status == 404) {
    http::WriteProblem(404, fmt::format("no route for {}", path), res);
  } else if (m.status == 405) {
    http::WriteProblem(405, fmt::format("{} is not allowed on {}; allowed: {}", req.method,
                                        m.pattern, m.allow),
                       res);
    res.headers.emplace_back("Allow", m.allow);
  } else {
    rm = static_cast<obs::RouteMetrics*>(m.route->tag);
    m.route->handler(req, m.params, res);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rm->Observe(res.status, seconds, req.body.size(), res.body.size());
}

void App::RegisterRoutes() {
  auto add = [this](const char* method, const char* pattern, http::RouteHandler h) {
    http::Route& r = router_.Add(method, pattern, std::move(h));
    r.tag = &metrics_.ForRoute(method, pattern);
  };

  auto health = [this](const http::Request&, const http::PathParams&, http::Response& res) {
    json::object components;
    components["http"] = {{"status", ready_.load() ? "healthy" : "unhealthy"},
                          {"draining", server_->draining()}};
    components["detector"] = {{"status", "healthy"},
                              {"mode", "limits"},
                              {"channels_with_limits", limits_.config().channels.size()}};
    std::string status = ready_.load() ? "healthy" : "unhealthy";
    json::object body;
    body["status"] = status;
    body["version"] = config_.version;
    body["environment"] = config_.environment;
    body["uptime_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    body["components"] = std::move(components);
    http::WriteJson(body, res, status == "unhealthy" ? 503 : 200);
  };
  add("GET", "/", health);
  add("GET", "/health", health);
  add("GET", "/health/live", [](const http::Request&, const http::PathParams&,
                                http::Response& res) { http::WriteJson({{"status", "alive"}}, res); });
  add("GET", "/health/ready",
      [this](const http::Request&, const http::PathParams&, http::Response& res) {
        if (ready_.load() && !server_->draining()) {
          http::WriteJson({{"status", "ready"}}, res);
        } else {
          http::WriteProblem(503, server_->draining() ? "draining" : "starting", res);
        }
      });
  add("GET", "/metrics",
      [this](const http::Request&, const http::PathParams&, http::Response& res) {
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = metrics_.Serialize();
      });
  add("POST", "/api/v1/telemetry",
      [this](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!IsJson(req.content_type)) {
          http::WriteProblem(
              Status::Error(Code::kUnsupportedMediaType,
                            fmt::format("Content-Type must be application/json, got '{}'",
                                        req.content_type),
                            {{"Content-Type", "must be application/json"}}),
              res);
          return;
        }
        auto rec = ingest::ParseTelemetry(req.body);
        if (!rec.ok()) {
          http::WriteProblem(rec.status(), res);
          return;
        }
        detect::Detection d;
        auto values = rec->Values();
        limits_.Check(values, d);
        json::array contributing;
        for (const auto& c : d.contributing) {
          contributing.push_back(
              {{"channel", c.channel}, {"value", c.value}, {"score", c.score}, {"reason", c.reason}});
        }
        const double severity = d.is_anomaly ? d.anomaly_score : 0.0;
        const char* type = d.is_anomaly ? FaultType(d.contributing.front().channel) : "normal";
        std::string reasoning = d.contributing.empty()
                                    ? "All telemetry parameters within limits"
                                    : d.contributing.front().reason;
        json::object body;
        body["id"] = fmt::format("{}-{:012x}", id_prefix_, next_id_.fetch_add(1));
        body["satellite_id"] = rec->satellite_id;
        body["is_anomaly"] = d.is_anomaly;
        body["anomaly_score"] = d.anomaly_score;
        body["anomaly_type"] = type;
        body["severity_score"] = severity;
        body["severity_level"] = SeverityLevel(severity);
        body["mission_phase"] = "NOMINAL_OPS";
        body["recommended_action"] = d.is_anomaly ? "ALERT_OPERATORS" : "NO_ACTION";
        body["confidence"] = d.confidence;
        body["reasoning"] = reasoning;
        body["detector"] = "limits";
        body["timestamp"] = ingest::FormatRfc3339(
            rec->timestamp ? *rec->timestamp
                           : std::chrono::time_point_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now()));
        body["contributing_channels"] = std::move(contributing);
        http::WriteJson(body, res);
      });
}

}  // namespace astraguard::app
