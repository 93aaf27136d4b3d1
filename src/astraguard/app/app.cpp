#include "astraguard/app/app.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <stdexcept>
#include <thread>
#include <unistd.h>

#include "astraguard/app/api_docs.hpp"
#include "astraguard/app/routes.hpp"
#include "astraguard/http/json_response.hpp"
#include "astraguard/http/problem.hpp"
#include "astraguard/ingest/timestamp.hpp"
#include "astraguard/obs/trace/trace_context.hpp"
#include "astraguard/obs/trace/tracer.hpp"
#include "astraguard/storage/anomaly_log.hpp"

namespace astraguard::app {
namespace {

static_assert(config::kPhaseCount == mission::kPhaseCount &&
              config::kPhaseNames[static_cast<int>(mission::Phase::kSafeMode)] == "SAFE_MODE" &&
              config::kPhaseNames[static_cast<int>(mission::Phase::kLaunch)] == "LAUNCH");

std::string RandomPrefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

service::DetectorOptions DetectorOptionsFrom(const config::Config& config,
                                             const resilience::FaultSwitches* faults) {
  const auto by_phase = config.LimitsByPhase();  // config::kPhaseNames = mission::Phase order
  return {.model_path = config.model_path,
          .limits_by_phase = {by_phase.begin(), by_phase.end()},
          .faults = faults,
          .online_train_steps = config.online_train_steps,
          .learned_models_path = config.learned_models_path};
}

// {status, since, last_error} of one component or breaker in GET /health.
void AddHealthFields(boost::json::object& o, std::int64_t since_unix_ms,
                     const std::string& last_error) {
  o["since"] = ingest::FormatRfc3339Millis(since_unix_ms);
  if (last_error.empty()) {
    o["last_error"] = nullptr;
  } else {
    o["last_error"] = last_error;
  }
}

}  // namespace

App::App(const config::Config& config)
    : config_(config),
      metrics_({config.version, config.environment}),
      detector_(DetectorOptionsFrom(config, &faults_), metrics_.registry()) {
  logger_ = std::make_unique<obs::Logger>(config_.log,
                                          std::make_unique<obs::FdLogSink>(STDOUT_FILENO), clock_);
  detector_.StartOnlineTraining(*logger_);
  health_ = std::make_unique<resilience::HealthRegistry>(config_.resilience.health, clock_,
                                                         metrics_.registry());
  auto tracing = obs::TracingPipeline::Create(config_.tracing, clock_,
                                              {.registry = metrics_.registry(),
                                               .breaker = config_.resilience.breaker,
                                               .retry = config_.resilience.retry,
                                               .faults = &faults_},
                                              logger_.get());
  if (!tracing.ok()) throw std::runtime_error("tracing: " + tracing.status().message());
  tracing_ = std::move(*tracing);
  RegisterHealthProbes();
  metrics_auth_ = obs::MetricsAuth(config_.metrics_auth.user, config_.metrics_auth.password);
  RegisterObsCallbacks();
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
  const std::string instance = RandomPrefix();  // anomaly ids in Redis
  memory_metrics_ =
      std::make_unique<storage::MemoryEngineMetrics>(metrics_.registry(), "anomaly_history");
  if (!config.redis_url.empty()) {
    redis_breaker_ = std::make_unique<resilience::CircuitBreaker>(
        "redis", config.resilience.breaker, clock_, metrics_.registry());
    breakers_.push_back(redis_breaker_.get());
    redis_ = std::make_unique<kv::RedisClient>(config.redis.client, redis_breaker_.get(), &faults_);
    storage::RedisStoreOptions store_options;
    store_options.capacity = config.mission.history_capacity;
    store_options.replay_capacity = config.redis.replay_capacity;
    store_options.instance = instance;
    store_options.spool_path = config.redis.spool_path;
    auto store = std::make_unique<storage::RedisAnomalyStore>(
        *redis_, store_options, clock_, metrics_.registry(), *logger_, memory_metrics_.get());
    health_->Register("redis", [s = store.get()] {
      return s->degraded() ? resilience::ProbeResult{resilience::HealthState::kDegraded,
                                                     s->last_error()}
                           : resilience::ProbeResult{};
    });
    anomaly_store_ = std::move(store);
    phase_store_ = std::make_unique<storage::RedisPhaseStore>(*redis_);
    cooldown_store_ = std::make_unique<storage::RedisCooldownStore>(*redis_);
    action_log_store_ = std::make_unique<storage::RedisActionLogStore>(
        *redis_, mission::ServiceOptions().action_log_limit);
    shared_rate_limiter_ =
        std::make_unique<auth::RedisRateLimiter>(*redis_, rate_limiter_, *logger_);
    health_->Register("rate_limiter", [l = shared_rate_limiter_.get()] {
      if (!l->degraded()) return resilience::ProbeResult{};
      return resilience::ProbeResult{
          resilience::HealthState::kDegraded,
          std::string("redis: ").append(l->last_error()).append("; limiting with local buckets")};
    });
    if (!config.mission.data_dir.empty()) {
      logger_->Warning("astraguard.storage", "data_dir_ignored",
                       {{"data_dir", std::string_view(config.mission.data_dir)},
                        {"reason", "REDIS_URL is set: the history lives in Redis (AOF)"}});
    }
  } else if (config.mission.data_dir.empty()) {
    anomaly_store_ = std::make_unique<storage::InMemoryAnomalyStore>(
        config.mission.history_capacity, memory_metrics_.get());
  } else {
    storage::OpenReport replay;
    auto durable = storage::DurableAnomalyStore::Open(
        config.mission.data_dir, config.mission.history_capacity, config.mission.data_fsync,
        &replay);
    if (durable.ok()) {
      anomaly_store_ = std::move(*durable);
      const obs::LogField fields[] = {{"data_dir", std::string_view(config.mission.data_dir)},
                                      {"replayed", uint64_t{replay.replayed}},
                                      {"dropped_bytes", replay.dropped_bytes},
                                      {"reason", std::string_view(replay.dropped)}};
      logger_->Log(replay.dropped.empty() ? obs::LogLevel::kInfo : obs::LogLevel::kWarning,
                   "astraguard.storage", "anomaly_log_replayed", fields);
    } else {
      store_status_ = Status::Error(
          Code::kUnavailable, fmt::format("ASTRAGUARD_DATA_DIR: {}", durable.status().message()));
      anomaly_store_ = std::make_unique<storage::InMemoryAnomalyStore>(
          config.mission.history_capacity, memory_metrics_.get());
    }
  }
  latest_ = std::make_unique<storage::LatestTelemetryStore>(
      storage::LatestOptions{.ttl = config.mission.latest_ttl,
                             .write_interval = config.mission.latest_redis_interval},
      redis_.get());
  mission_metrics_ = std::make_unique<mission::MissionMetrics>(metrics_.registry());
  detection_metrics_ = std::make_unique<mission::DetectionMetrics>(metrics_.registry());
  mission::ServiceOptions mission_options;
  mission_options.shared_phase = phase_store_.get();
  mission_options.shared_cooldowns = cooldown_store_.get();
  mission_options.shared_actions = action_log_store_.get();
  mission_ = std::make_unique<mission::Service>(policy_, *anomaly_store_, clock_, *mission_metrics_,
                                                mission_options);
  service_ = std::make_unique<service::TelemetryService>(
      service::TelemetryServiceOptions{.version = config.version,
                                       .environment = config.environment,
                                       .latest = latest_.get()},
      detector_, *mission_, *anomaly_store_, clock_, *detection_metrics_, tracing_->tracer(),
      *logger_);
  auth::RateLimiter& limiter = shared_rate_limiter_
                                  ? static_cast<auth::RateLimiter&>(*shared_rate_limiter_)
                                  : rate_limiter_;
  access_ = std::make_unique<auth::AccessControl>(config.access, limiter, metrics_.registry());
  chaos_ = std::make_unique<chaos::Chaos>(config_.resilience.chaos, faults_, *health_, clock_,
                                          metrics_.registry());
  RegisterRoutes();
  unmatched_metrics_ = &metrics_.ForRoute("other", "unmatched", {404});
  rejected_metrics_ = &metrics_.ForRoute("other", "invalid_request", {400, 408, 413, 503});
  server_ = std::make_unique<http::Server>(
      config_.server, [this](const http::Request& req, http::Response& res) { Dispatch(req, res); },
      metrics_, *rejected_metrics_);
}

App::~App() {
  server_->Stop();
  health_->Stop();
  chaos_->Stop();
  if (!config_.learned_models_path.empty()) {
    auto saved = detector_.SaveLearnedModels();
    if (saved.ok()) {
      logger_->Info("astraguard.detection", "learned_models_saved",
                    {{"path", std::string_view(config_.learned_models_path)},
                     {"channels", static_cast<std::int64_t>(*saved)}});
    } else {
      logger_->Error("astraguard.detection", "learned_models_not_saved",
                     {{"path", std::string_view(config_.learned_models_path)},
                      {"error", std::string_view(saved.status().message())}});
    }
  }
}

void App::RegisterHealthProbes() {
  using resilience::HealthState;
  using resilience::ProbeResult;
  health_->Register("detector", [this] {
    return detector_.degraded() ? ProbeResult{HealthState::kDegraded, detector_.model_error()}
                                : ProbeResult{};
  });
  if (const resilience::CircuitBreaker* b = tracing_->breaker()) {
    breakers_.push_back(b);
    health_->Register("otlp_exporter", [b] {
      const auto state = b->state();
      if (state == resilience::BreakerState::kClosed) return ProbeResult{};
      return ProbeResult{HealthState::kDegraded,
                         fmt::format("circuit breaker {} {}: {}", b->name(),
                                     resilience::BreakerStateName(state), b->last_error())};
    });
  }
}

bool App::Disturb(std::string_view route, http::Response& res) const {
  const auto latency_ms = faults_.request_latency_ms.load(std::memory_order_relaxed);
  const double error_rate = faults_.error_rate.load(std::memory_order_relaxed);
  if (latency_ms == 0 && error_rate == 0) return false;
  if (!route.starts_with("/api/v1/") || route.starts_with("/api/v1/chaos")) return false;
  if (latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
  thread_local std::minstd_rand rng(std::random_device{}());
  if (error_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < error_rate) {
    http::WriteProblem(503, "injected by the chaos experiment error_rate", res);
    return true;
  }
  return false;
}

Status App::Start() {
  if (!policy_status_.ok()) return policy_status_;
  if (!store_status_.ok()) return store_status_;
  if (Status s = server_->Start(); !s.ok()) return s;
  health_->Start();
  chaos_->Start();
  ready_.store(true);
  const http::FdLimitFit& fds = server_->fd_limit();
  const obs::LogField fd_fields[] = {{"max_connections", uint64_t{fds.max_connections}},
                                     {"asked_max_connections", uint64_t{config_.server.max_connections}},
                                     {"fds_needed", fds.needed},
                                     {"fd_soft_limit_before", fds.soft_before},
                                     {"fd_soft_limit", fds.soft_after},
                                     {"fd_hard_limit", fds.hard}};
  if (fds.lowered) {
    logger_->Log(obs::LogLevel::kWarning, "astraguard.http", "connection_cap_lowered", fd_fields);
  } else if (fds.raised()) {
    logger_->Log(obs::LogLevel::kInfo, "astraguard.http", "fd_limit_raised", fd_fields);
  }
  if (detector_.degraded()) {
    logger_->Warning("astraguard.app", "model_unavailable",
                     {{"model_path", std::string_view(config_.model_path)},
                      {"error", std::string_view(detector_.model_error())},
                      {"mode", std::string_view(detector_.mode())}});
  } else {
    logger_->Info("astraguard.app", "model_loaded",
                  {{"model_path", std::string_view(config_.model_path)}});
  }
  for (const std::string& warning : config_.access.auth.warnings) {
    logger_->Warning("astraguard.auth", "api_keys_file_readable", {{"warning", warning}});
  }
  logger_->Info("astraguard.auth", "access_control",
                {{"api_keys", uint64_t{config_.access.auth.keys.size()}},
                 {"auth", access_->auth_enabled() ? "required" : "off (no API keys)"}});
  if (redis_) {
    const kv::RedisEndpoint& ep = config_.redis.client.endpoint;
    const std::string where = fmt::format("{}:{}/{}", ep.host, ep.port, ep.db);
    logger_->Info("astraguard.app", "state_backend",
                  {{"backend", "redis"}, {"redis", std::string_view(where)},
                   {"healthy", anomaly_store_->Stats().healthy}});
  }
  const auto& t = config_.tracing;
  logger_->Info("astraguard.app", "observability_initialized",
                {{"tracing", t.enabled},
                 {"otlp_endpoint", t.enabled ? std::string_view(t.exporter.endpoint) : ""},
                 {"endpoint_source", t.endpoint_source},
                 {"endpoint_settings",
                  "OTEL_EXPORTER_OTLP_ENDPOINT sets it; OTEL_SDK_DISABLED=true turns tracing off"},
                 {"metrics_auth", config_.metrics_auth.enabled()}});
  return Status::Ok();
}

bool App::Shutdown() {
  ready_.store(false);
  server_->BeginDrain();
  bool idle = server_->WaitIdle(std::chrono::steady_clock::now() + config_.server.drain_timeout);
  server_->Stop();
  tracing_->Shutdown(std::chrono::seconds(5));
  const auto st = tracing_->stats();
  logger_->Info("astraguard.app", "telemetry_flushed",
                {{"spans_exported", st.batch.exported}, {"spans_dropped", st.batch.dropped},
                 {"spans_export_failed", st.batch.export_failed},
                 {"log_lines_dropped", logger_->dropped()}});
  logger_->Flush();
  return idle;
}

void App::RegisterObsCallbacks() {
  using prometheus::MetricType;
  metrics_.AddCallback("astra_http_requests_in_flight",
                       "HTTP requests being read or handled (the request queue's depth).",
                       MetricType::Gauge,
                       [this] { return static_cast<double>(server_->in_flight()); });
  metrics_.AddCallback("astra_http_requests_shed_total",
                       "API requests answered 503 because ASTRAGUARD_MAX_IN_FLIGHT were in progress.",
                       MetricType::Counter,
                       [this] { return static_cast<double>(server_->shed_total()); });
  metrics_.AddCallback("astra_log_lines_dropped_total",
                       "Log lines dropped because the log queue was full.", MetricType::Counter,
                       [this] { return static_cast<double>(logger_->dropped()); });
  metrics_.AddCallback("astra_log_lines_written_total", "Log lines written.", MetricType::Counter,
                       [this] { return static_cast<double>(logger_->written()); });
  metrics_.AddCallback("astra_log_queue_lines",
                       "Log lines waiting for the writer thread (the bounded log queue's depth).",
                       MetricType::Gauge,
                       [this] { return static_cast<double>(logger_->queued()); });
  metrics_.AddCallback("astra_trace_queue_spans",
                       "Finished spans waiting for export (the bounded span queue's depth).",
                       MetricType::Gauge,
                       [this] { return static_cast<double>(tracing_->stats().batch.in_queue); });
  metrics_.AddCallback("astra_trace_spans_dropped_total",
                       "Finished spans dropped (export queue full or shut down).",
                       MetricType::Counter,
                       [this] { return static_cast<double>(tracing_->stats().batch.dropped); });
  metrics_.AddCallback("astra_trace_spans_exported_total",
                       "Spans accepted by the OTLP endpoint.", MetricType::Counter,
                       [this] { return static_cast<double>(tracing_->stats().batch.exported); });
  metrics_.AddCallback(
      "astra_trace_spans_export_failed_total", "Spans in batches the OTLP endpoint did not accept.",
      MetricType::Counter,
      [this] { return static_cast<double>(tracing_->stats().batch.export_failed); });
}

void App::Dispatch(const http::Request& req, http::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view path = req.path();
  http::Match m;
  // The metrics listener has its own connection cap, so that probes and scrapes get through
  // while the API listener is full: it serves /metrics and the health endpoints only.
  if (req.metrics_listener && path != "/metrics" && path != "/health" &&
      path != "/health/live" && path != "/health/ready") {
    m.status = 404;
  } else {
    m = router_.Find(req.method, path);
  }
  // The route template names the span and the access line ("unmatched" for 404s); /metrics
  // scrapes are neither traced nor access-logged (a scrape every 15 s would drown the rest).
  const std::string_view route = m.status == 200   ? std::string_view(m.route->pattern)
                                 : m.status == 405 ? m.pattern
                                                   : std::string_view("unmatched");
  const bool observed = route != "/metrics";
  const bool propagate = tracing_->propagate_w3c();
  obs::ScopedSpan span(observed ? obs::StartHttpServerSpan(
                                      tracing_->tracer(),
                                      {.method = req.method,
                                       .route = route,
                                       .path = path,
                                       .server_port = req.local_port,
                                       .client_address = req.client_address,
                                       .user_agent = req.user_agent,
                                       .traceparent = propagate ? req.traceparent : "",
                                       .tracestate = propagate ? req.tracestate : "",
                                       .start = start})
                                : obs::Span());
  obs::RouteMetrics* rm = unmatched_metrics_;
  auth::Caller caller;
  if (m.status == 404) {
    http::WriteProblem(404, fmt::format("no route for {}", path), res);
  } else if (m.status == 405 && req.method == "OPTIONS") {
    rm = NotAllowedMetrics(m.pattern);
    access_->Preflight(req, m.allow, res);
  } else if (m.status == 405) {
    rm = NotAllowedMetrics(m.pattern);
    http::WriteProblem(405, fmt::format("{} is not allowed on {}; allowed: {}", req.method,
                                        m.pattern, m.allow),
                       res);
    res.headers.emplace_back("Allow", m.allow);
  } else {
    rm = static_cast<obs::RouteMetrics*>(m.route->tag);
    if (access_->Admit(req, m.route->role, route, start, res, caller) && !Disturb(route, res)) {
      m.route->handler(req, m.params, res);
    }
  }
  if (req.method != "OPTIONS") access_->AddCorsHeaders(req, res);
  const auto end = std::chrono::steady_clock::now();  // also the span's end time
  const double seconds = std::chrono::duration<double>(end - start).count();
  rm->Observe(res.status, seconds, req.body.size(), res.body.size());
  if (!observed) return;
  obs::SetHttpServerSpanResult(span.span(), res.status);
  if (propagate && span.span().context().IsValid()) {
    static_assert(obs::kTraceparentSize == std::tuple_size_v<decltype(res.traceparent)>);
    obs::WriteTraceparent(span.span().context(), res.traceparent.data());
    res.traceparent_size = obs::kTraceparentSize;
  }
  logger_->Access({.method = req.method,
                   .route = route,
                   .status = res.status,
                   .duration_ms = seconds * 1000.0,
                   .request_bytes = req.body.size(),
                   .response_bytes = res.body.size(),
                   .client = req.client_address,
                   .role = caller.role == http::Role::kPublic ? "" : http::RoleName(caller.role),
                   .key_id = caller.key_id,
                   .span = &span.span().context()});
  span->End(end);
}

void App::RegisterRoutes() {
  auto add = [this](const char* method, const char* pattern, http::Role role,
                    http::RouteHandler h) {
    http::Route& r = router_.Add(method, pattern, role, std::move(h));
    r.tag = &metrics_.ForRoute(method, pattern);
    bool known = false;
    for (const auto& entry : not_allowed_metrics_) known = known || entry.first == pattern;
    if (!known) {
      not_allowed_metrics_.emplace_back(pattern, &metrics_.ForRoute("other", pattern, {405}));
    }
  };

  auto health = [this](const http::Request&, const http::PathParams&, http::Response& res) {
    service::HealthReport h = service_->GetHealth(ready_.load(), server_->draining());
    // The health checker's components beside the service's own (a component both report, the
    // detector, keeps the service's live fields and gains since/last_error); any of them not
    // healthy makes a healthy service degraded.
    auto& components = h.body["components"].as_object();
    bool all_ok = true;
    for (const auto& c : health_->Snapshot()) {
      boost::json::value& slot = components[c.name];
      if (!slot.is_object()) slot = {{"status", resilience::HealthStateName(c.state)}};
      AddHealthFields(slot.as_object(), c.since_unix_ms, c.last_error);
      all_ok = all_ok && c.state == resilience::HealthState::kOk;
    }
    if (!all_ok && h.body["status"] == "healthy") h.body["status"] = "degraded";
    boost::json::object breakers;
    for (const auto* b : breakers_) {
      boost::json::object o{{"state", resilience::BreakerStateName(b->state())}};
      AddHealthFields(o, b->since_unix_ms(), b->last_error());
      breakers[b->name()] = std::move(o);
    }
    h.body["circuit_breakers"] = std::move(breakers);
    http::WriteJson(h.body, res, h.unhealthy ? 503 : 200);
  };
  add("GET", "/", http::Role::kViewer, health);
  add("GET", "/health", http::Role::kViewer, health);
  add("GET", "/health/live", http::Role::kPublic,
      [](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson({{"status", "alive"}}, res);
      });
  add("GET", "/health/ready", http::Role::kPublic,
      [this](const http::Request&, const http::PathParams&, http::Response& res) {
        if (ready_.load() && !server_->draining()) {
          http::WriteJson({{"status", "ready"}}, res);
        } else {
          http::WriteProblem(503, server_->draining() ? "draining" : "starting", res);
        }
      });
  add("GET", "/metrics", http::Role::kPublic,
      [this](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!metrics_auth_.Allows(req.authorization)) {
          http::WriteProblem(401, "valid METRICS_USER credentials required", res);
          res.headers.emplace_back("WWW-Authenticate", std::string(obs::MetricsAuth::kChallenge));
          return;
        }
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = metrics_.Serialize();
      });
  add("GET", "/openapi.json", http::Role::kPublic,
      [](const http::Request&, const http::PathParams&, http::Response& res) {
        res.body = OpenApiJson();
      });
  add("GET", "/docs", http::Role::kPublic,
      [](const http::Request&, const http::PathParams&, http::Response& res) {
        res.content_type = "text/html; charset=utf-8";
        res.body = DocsHtml();
      });
  RegisterApiRoutes(add, *service_);
  RegisterChaosRoutes(add, *chaos_);
}

obs::RouteMetrics* App::NotAllowedMetrics(std::string_view pattern) const {
  // The error path only: a linear scan of the route templates (about a dozen).
  for (const auto& [p, rm] : not_allowed_metrics_) {
    if (p == pattern) return rm;
  }
  return unmatched_metrics_;
}

}  // namespace astraguard::app
