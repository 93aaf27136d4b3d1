#include "astraguard/app/app.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <random>

#include "astraguard/app/mission_routes.hpp"
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

}  // namespace

App::App(const config::Config& config)
    : config_(config),
      started_(std::chrono::steady_clock::now()),
      metrics_({config.version, config.environment}),
      limits_(config.limits),
      id_prefix_(RandomPrefix()) {
  auto policy = config.mission.policy_file.empty()
                    ? mission::ParsePolicyYaml(mission::DefaultPolicyYaml(), "<built-in>")
                    : mission::LoadPolicyFile(config.mission.policy_file);
  if (policy.ok()) {
    policy_ = std::move(*policy);
  } else {
    policy_status_ = Status::Error(
        Code::kInvalidArgument,
        fmt::format("ASTRAGUARD_MISSION_POLICY: {}", policy.status().message()));
    policy_ = *mission::ParsePolicyYaml(mission::DefaultPolicyYaml(), "<built-in>");
  }
  anomaly_store_ = std::make_unique<storage::InMemoryAnomalyStore>(config.mission.history_capacity);
  mission_metrics_ = std::make_unique<mission::MissionMetrics>(metrics_.registry());
  mission_ = std::make_unique<mission::Service>(policy_, *anomaly_store_, clock_, *mission_metrics_);
  RegisterRoutes();
  unmatched_metrics_ = &metrics_.ForRoute("other", "unmatched");
  rejected_metrics_ = &metrics_.ForRoute("other", "invalid_request");
  server_ = std::make_unique<http::Server>(
      config_.server, [this](const http::Request& req, http::Response& res) { Dispatch(req, res); },
      metrics_, *rejected_metrics_);
}

App::~App() { server_->Stop(); }

Status App::Start() {
  if (!policy_status_.ok()) return policy_status_;
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
    const auto store = anomaly_store_->Stats();
    components["anomaly_store"] = {{"status", store.healthy ? "healthy" : "degraded"},
                                   {"backend", store.backend},
                                   {"size", store.size}};
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
        http::WriteJson(AssessRecord(*rec, limits_, *mission_, NextRequestId()), res);
      });
  RegisterMissionRoutes(add, *mission_, limits_, [this] { return NextRequestId(); });
}

std::string App::NextRequestId() {
  return fmt::format("{}-{:012x}", id_prefix_, next_id_.fetch_add(1));
}


}  // namespace astraguard::app
