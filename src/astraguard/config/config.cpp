#include "astraguard/config/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "astraguard/config/tracing_settings.hpp"
#include "astraguard/config/values.hpp"
#include "astraguard/ingest/telemetry.hpp"

extern char** environ;

namespace astraguard::config {
namespace {

using detail::ParseBool;
using detail::ParseUnsigned;

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

Status ParseTimeout(std::string_view s, std::chrono::milliseconds& out) {
  return detail::ParseMillis(s, 1, 86'400'000, out);
}

// redis://user:secret@host:6379/0 -> redis://user:<redacted>@host:6379/0
std::string RedactUserinfo(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  size_t from = (colon != std::string::npos && colon < at) ? colon + 1 : scheme + 3;
  return url.substr(0, from) + "<redacted>" + url.substr(at);
}

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

std::string LimitsSpec(const detect::LimitsConfig& limits) {
  auto bound = [](double v) { return std::isinf(v) ? std::string("-") : fmt::format("{:g}", v); };
  std::string out;
  for (const auto& [name, l] : limits.channels) {
    if (!out.empty()) out += ';';
    out += fmt::format("{}:{}:{}:{}:{}", name, bound(l.red_low), bound(l.yellow_low),
                       bound(l.yellow_high), bound(l.red_high));
    if (!l.unit.empty()) out += ":" + l.unit;
  }
  return out;
}

// The short ids of the keys (never the keys): "admin:1a2b3c4d,viewer:...".
std::string KeyIds(const std::vector<auth::ApiKey>& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", http::RoleName(k.role), k.id);
  }
  return out;
}

// Requests per second or a bucket size: a number in 0..1e9.
Status ParseRate(std::string_view v, double& out) {
  auto limit = auth::ParseRateLimit(fmt::format("{}:1", v));
  if (!limit.ok()) return Invalid("must be a number in 0..1e9");
  out = limit->per_second;
  return Status::Ok();
}

bool IsProduction(std::string_view environment) {
  return detail::Lower(environment) == "production";
}

std::vector<Setting> BuildSettings() {
  std::vector<Setting> s;
  s.push_back({"ASTRAGUARD_HOST", "--host", "Address the listeners bind to.", false,
               [](Config& c, std::string_view v) {
                 if (v.empty()) return Invalid("must not be empty");
                 c.server.host = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.server.host; }});
  s.push_back({"ASTRAGUARD_PORT", "--port", "API port (0 picks a free port).", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<uint16_t>(v, 0, 65535, c.server.port);
               },
               [](const Config& c) { return std::to_string(c.server.port); }});
  s.push_back({"PROMETHEUS_PORT", "--metrics-port",
               "Port of the /metrics-only listener (0 picks a free port).", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<uint16_t>(v, 0, 65535, c.server.metrics_port);
               },
               [](const Config& c) { return std::to_string(c.server.metrics_port); }});
  s.push_back({"ASTRAGUARD_IO_THREADS", "--io-threads", "HTTP io threads (0: one per core).",
               false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<unsigned>(v, 0, 256, c.server.io_threads);
               },
               [](const Config& c) { return std::to_string(c.server.io_threads); }});
  s.push_back({"ASTRAGUARD_MAX_BODY_BYTES", "--max-body-bytes",
               "Largest request body accepted (bytes).", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<size_t>(v, 1024, 64 << 20, c.server.max_body_bytes);
               },
               [](const Config& c) { return std::to_string(c.server.max_body_bytes); }});
  s.push_back({"ASTRAGUARD_MAX_CONNECTIONS", "--max-connections",
               "Open connections beyond which new ones are refused.", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<unsigned>(v, 1, 1'000'000, c.server.max_connections);
               },
               [](const Config& c) { return std::to_string(c.server.max_connections); }});
  s.push_back({"ASTRAGUARD_MAX_IN_FLIGHT", "--max-in-flight",
               "Requests in progress beyond which a further API request gets 503 + Retry-After "
               "(load shedding; the metrics port is never shed).",
               false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<unsigned>(v, 1, 1'000'000, c.server.max_in_flight);
               },
               [](const Config& c) { return std::to_string(c.server.max_in_flight); }});
  s.push_back({"ASTRAGUARD_READ_TIMEOUT_MS", "--read-timeout-ms",
               "Time allowed from a request's first byte to its last (ms).", false,
               [](Config& c, std::string_view v) { return ParseTimeout(v, c.server.read_timeout); },
               [](const Config& c) { return Millis(c.server.read_timeout); }});
  s.push_back({"ASTRAGUARD_IDLE_TIMEOUT_MS", "--idle-timeout-ms",
               "Keep-alive wait for the next request before closing (ms).", false,
               [](Config& c, std::string_view v) { return ParseTimeout(v, c.server.idle_timeout); },
               [](const Config& c) { return Millis(c.server.idle_timeout); }});
  s.push_back({"ASTRAGUARD_DRAIN_TIMEOUT_MS", "--drain-timeout-ms",
               "Graceful-shutdown budget for in-flight requests (ms).", false,
               [](Config& c, std::string_view v) {
                 return ParseTimeout(v, c.server.drain_timeout);
               },
               [](const Config& c) { return Millis(c.server.drain_timeout); }});
  s.push_back({"ASTRAGUARD_LIMITS", "--limits",
               "Red/yellow limits: chan:red_low:yellow_low:yellow_high:red_high[:unit];... "
               "('-' for no bound); replaces the defaults of the channels it names.",
               false,
               [](Config& c, std::string_view v) {
                 auto parsed = detect::ParseLimits(v);
                 if (!parsed.ok()) return parsed.status();
                 for (auto& [name, l] : parsed->channels) c.limits.channels[name] = l;
                 return Status::Ok();
               },
               [](const Config& c) { return LimitsSpec(c.limits); }});
  // One row per phase; the names must be literals (Setting holds string_views).
  struct PhaseSetting {
    const char* env;
    const char* flag;
  };
  static constexpr PhaseSetting kPhaseSettings[kPhaseCount] = {
      {"ASTRAGUARD_LIMITS_LAUNCH", "--limits-launch"},
      {"ASTRAGUARD_LIMITS_DEPLOYMENT", "--limits-deployment"},
      {"ASTRAGUARD_LIMITS_NOMINAL_OPS", "--limits-nominal-ops"},
      {"ASTRAGUARD_LIMITS_PAYLOAD_OPS", "--limits-payload-ops"},
      {"ASTRAGUARD_LIMITS_SAFE_MODE", "--limits-safe-mode"}};
  for (size_t phase = 0; phase < kPhaseCount; ++phase) {
    s.push_back({kPhaseSettings[phase].env, kPhaseSettings[phase].flag,
                 "Limits of the channels that differ in this mission phase (same syntax as "
                 "ASTRAGUARD_LIMITS); other channels keep the common limits.",
                 false,
                 [phase](Config& c, std::string_view v) {
                   auto parsed = detect::ParseLimits(v);
                   if (!parsed.ok()) return parsed.status();
                   c.phase_limits[phase] = std::move(*parsed);
                   return Status::Ok();
                 },
                 [phase](const Config& c) { return LimitsSpec(c.phase_limits[phase]); }});
  }
  s.push_back({"ASTRAGUARD_MODEL", "--model",
               "Learned model file; a missing or corrupt file means limits-only detection "
               "(health: degraded). Default: models/default.model next to the binary.",
               false,
               [](Config& c, std::string_view v) {
                 if (v.empty()) return Invalid("must not be empty");
                 c.model_path = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.model_path; }});
  s.push_back({"ASTRAGUARD_ONLINE_TRAIN_STEPS", "--online-train-steps",
               "Nominal records after which a channel the model file does not know gets a "
               "model learned online from its own history (background, one fit at a time); "
               "0 disables. 0 or 100..100000, default 1000.",
               false,
               [](Config& c, std::string_view v) {
                 if (Status st = ParseUnsigned<std::size_t>(v, 0, 100'000, c.online_train_steps);
                     !st.ok())
                   return st;
                 if (c.online_train_steps != 0 && c.online_train_steps < 100)
                   return Invalid("must be 0 or at least 100");
                 return Status::Ok();
               },
               [](const Config& c) { return std::to_string(c.online_train_steps); }});
  s.push_back({"ASTRAGUARD_LEARNED_MODELS", "--learned-models",
               "Model file of the models learned online: loaded at start (missing: none yet), "
               "written at shutdown. Default: none (learned models are not kept).",
               false,
               [](Config& c, std::string_view v) {
                 c.learned_models_path = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.learned_models_path; }});
  s.push_back({"LOG_LEVEL", "--log-level",
               "DEBUG, INFO, WARNING (or WARN), ERROR or CRITICAL, case-insensitive.", false,
               [](Config& c, std::string_view v) { return detail::ParseLogLevel(v, c.log.level); },
               [](const Config& c) { return std::string(detail::LogLevelSetting(c.log.level)); }});
  s.push_back({"ENABLE_JSON_LOGGING", "",
               "JSON log lines (true/false, 1/0, yes/no); default true when ENVIRONMENT is "
               "production, else false (console format).",
               false,
               [](Config& c, std::string_view v) {
                 bool json = false;
                 if (Status st = ParseBool(v, json); !st.ok()) return st;
                 c.log.format = json ? obs::LogFormat::kJson : obs::LogFormat::kConsole;
                 return Status::Ok();
               },
               [](const Config& c) {
                 return std::string(c.log.format == obs::LogFormat::kJson ? "true" : "false");
               }});
  s.push_back({"ENVIRONMENT", "",
               "Deployment environment name (e.g. production); reported in logs, traces and "
               "/health.",
               false,
               [](Config& c, std::string_view v) {
                 if (!ingest::IsValidName(v)) return Invalid("must be 1-64 characters of [A-Za-z0-9._-]");
                 c.environment = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.environment; }});
  s.push_back({"APP_VERSION", "",
               "Version reported by /health, logs, traces and astra_build_info (default: the "
               "build's version).",
               false,
               [](Config& c, std::string_view v) {
                 if (!ingest::IsValidName(v)) return Invalid("must be 1-64 characters of [A-Za-z0-9._-]");
                 c.version = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.version; }});
  s.push_back({"REDIS_URL", "",
               "Redis for the shared state (anomaly history, feedback counts), "
               "redis://[[user]:password@]host[:port][/db]; rediss:// is refused (no TLS). "
               "Empty: embedded in-memory state, per process.",
               false,
               [](Config& c, std::string_view v) {
                 if (!v.empty()) {
                   auto ep = kv::ParseRedisUrl(v);
                   if (!ep.ok()) return Invalid(ep.status().message());
                   c.redis.client.endpoint = std::move(*ep);
                 }
                 c.redis_url = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return RedactUserinfo(c.redis_url); }});
  s.push_back({"ASTRAGUARD_REDIS_TIMEOUT_MS", "",
               "Budget of each Redis round trip in ms (connect, write, read); after a failed "
               "call the service answers from memory until Redis is back.",
               false,
               [](Config& c, std::string_view v) {
                 uint64_t ms = 0;
                 if (Status st = ParseUnsigned(v, 1, 10'000, ms); !st.ok()) return st;
                 c.redis.client.timeout = std::chrono::milliseconds(ms);
                 return Status::Ok();
               },
               [](const Config& c) { return Millis(c.redis.client.timeout); }});
  s.push_back({"ASTRAGUARD_REDIS_REPLAY_BUFFER", "",
               "Writes buffered while Redis is unreachable, replayed in order when it returns "
               "(beyond: counted and logged, kept in memory only).",
               false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<size_t>(v, 1, 10'000'000, c.redis.replay_capacity);
               },
               [](const Config& c) { return std::to_string(c.redis.replay_capacity); }});
  s.push_back({"ASTRAGUARD_REDIS_SPOOL", "",
               "File that writes buffered while Redis is unreachable are also appended to, so "
               "that a killed process replays them at its next start (one file per instance; "
               "empty: memory only).",
               false,
               [](Config& c, std::string_view v) {
                 c.redis.spool_path = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.redis.spool_path; }});
  s.push_back({"ASTRAGUARD_LATEST_TTL_SECONDS", "",
               "How long a satellite's latest record is kept and listed by GET "
               "/api/v1/satellites (in memory and in Redis).",
               false,
               [](Config& c, std::string_view v) {
                 uint64_t s = 0;
                 if (Status st = ParseUnsigned(v, 1, 86'400, s); !st.ok()) return st;
                 c.mission.latest_ttl = std::chrono::seconds(s);
                 return Status::Ok();
               },
               [](const Config& c) { return std::to_string(c.mission.latest_ttl.count()); }});
  s.push_back({"ASTRAGUARD_REDIS_LATEST_INTERVAL_MS", "",
               "With REDIS_URL: a satellite's latest record is written to Redis at most this "
               "often per instance (records in between update memory only).",
               false,
               [](Config& c, std::string_view v) {
                 uint64_t ms = 0;
                 if (Status st = ParseUnsigned(v, 0, 3'600'000, ms); !st.ok()) return st;
                 c.mission.latest_redis_interval = std::chrono::milliseconds(ms);
                 return Status::Ok();
               },
               [](const Config& c) { return Millis(c.mission.latest_redis_interval); }});
  s.push_back({"ASTRAGUARD_MISSION_POLICY", "--mission-policy",
               "Mission-phase policy YAML (empty: built-in, same as etc/mission_policies.yaml).",
               false,
               [](Config& c, std::string_view v) {
                 c.mission.policy_file = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) {
                 return c.mission.policy_file.empty() ? std::string("<built-in>")
                                                      : c.mission.policy_file;
               }});
  s.push_back({"ASTRAGUARD_HISTORY_CAPACITY", "--history-capacity",
               "Anomalies kept in the history (in memory, or in Redis with REDIS_URL; oldest evicted).",
               false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<size_t>(v, 1, 10'000'000, c.mission.history_capacity);
               },
               [](const Config& c) { return std::to_string(c.mission.history_capacity); }});
  s.push_back({"ASTRAGUARD_DATA_DIR", "--data-dir",
               "Directory of the anomaly history's append-only file (anomalies.log), replayed on "
               "start; empty: the history lives in memory only.",
               false,
               [](Config& c, std::string_view v) {
                 c.mission.data_dir = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.mission.data_dir; }});
  s.push_back({"ASTRAGUARD_DATA_FSYNC", "--data-fsync",
               "When the anomaly file is synced to disk: always (before each answer), everysec "
               "(once a second; up to 1 s lost on power loss), none (left to the kernel).",
               false,
               [](Config& c, std::string_view v) {
                 auto p = storage::ParseFsyncPolicy(v);
                 if (!p) return Invalid("must be always, everysec or none");
                 c.mission.data_fsync = *p;
                 return Status::Ok();
               },
               [](const Config& c) {
                 return std::string(storage::FsyncPolicyName(c.mission.data_fsync));
               }});
  s.push_back({"METRICS_USER", "",
               "Basic-auth user required on /metrics (with METRICS_PASSWORD; both or neither).",
               false,
               [](Config& c, std::string_view v) {
                 if (v.find(':') != std::string_view::npos) return Invalid("must not contain ':'");
                 c.metrics_auth.user = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.metrics_auth.user; }, true});
  s.push_back({"METRICS_PASSWORD", "", "Basic-auth password for /metrics (with METRICS_USER).",
               true,
               [](Config& c, std::string_view v) {
                 c.metrics_auth.password = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.metrics_auth.password; }, true});
  s.push_back({"ASTRAGUARD_API_KEYS", "",
               "API keys as role:key (or role:sha256:<hex>), comma-separated; roles viewer, "
               "operator, admin. Access control is on when any key is set, and required when "
               "ENVIRONMENT is production. Held as SHA-256 digests only; shown as role:key id.",
               false,
               [](Config& c, std::string_view v) {
                 auto keys = auth::ParseKeyList(v);
                 if (!keys.ok()) return keys.status();
                 return auth::MergeKeys(c.access.auth.keys, std::move(*keys),
                                        "ASTRAGUARD_API_KEYS");
               },
               [](const Config& c) { return KeyIds(c.access.auth.keys); }});
  s.push_back({"ASTRAGUARD_API_KEYS_FILE", "",
               "File of API keys, one role:key or role:sha256:<hex> per line (# comments); "
               "should not be readable by other users (warning).",
               false,
               [](Config& c, std::string_view v) {
                 std::string warning;
                 auto keys = auth::LoadKeyFile(std::string(v), warning);
                 if (!keys.ok()) return keys.status();
                 if (!warning.empty()) c.access.auth.warnings.push_back(std::move(warning));
                 return auth::MergeKeys(c.access.auth.keys, std::move(*keys), std::string(v));
               },
               nullptr});
  s.push_back(
      {"ASTRAGUARD_RATE_LIMIT_RPS", "",
       "Requests per second per API key (per client address without a key), for every "
       "role without its own ASTRAGUARD_RATE_LIMIT_<ROLE>; 0: unlimited.",
       false,
       [](Config& c, std::string_view v) {
         double rps = 0;
         if (Status st = ParseRate(v, rps); !st.ok()) return st;
         for (auto& l : c.access.rate_limits) l.per_second = rps;
         return Status::Ok();
       },
       [](const Config& c) { return fmt::format("{:g}", c.access.rate_limits[0].per_second); }});
  s.push_back({"ASTRAGUARD_RATE_LIMIT_BURST", "",
               "Token-bucket size with ASTRAGUARD_RATE_LIMIT_RPS (default: twice the rate).", false,
               [](Config& c, std::string_view v) {
                 double burst = 0;
                 if (Status st = ParseRate(v, burst); !st.ok()) return st;
                 for (auto& l : c.access.rate_limits) l.burst = burst;
                 return Status::Ok();
               },
               [](const Config& c) { return fmt::format("{:g}", c.access.rate_limits[0].burst); }});
  // One row per caller class (anonymous = no key); the names must be literals.
  static constexpr const char* kRateSettings[] = {
      "ASTRAGUARD_RATE_LIMIT_ANONYMOUS", "ASTRAGUARD_RATE_LIMIT_VIEWER",
      "ASTRAGUARD_RATE_LIMIT_OPERATOR", "ASTRAGUARD_RATE_LIMIT_ADMIN"};
  for (size_t cls = 0; cls < std::size(kRateSettings); ++cls) {
    s.push_back({kRateSettings[cls], "",
                 "rate:burst (requests per second, bucket size) for this caller role; "
                 "overrides ASTRAGUARD_RATE_LIMIT_RPS/_BURST.",
                 false,
                 [cls](Config& c, std::string_view v) {
                   auto limit = auth::ParseRateLimit(v);
                   if (!limit.ok()) return limit.status();
                   c.access.rate_limits[cls] = *limit;
                   return Status::Ok();
                 },
                 [cls](const Config& c) {
                   const auth::RateLimit& l = c.access.rate_limits[cls];
                   return fmt::format("{:g}:{:g}", l.per_second, l.burst);
                 }});
  }
  s.push_back({"ALLOWED_ORIGINS", "",
               "CORS origins allowed to call the API with credentials, comma-separated "
               "(scheme://host[:port]); '*' allows any origin without credentials; empty: none.",
               false,
               [](Config& c, std::string_view v) {
                 auto cors = auth::ParseOrigins(v);
                 if (!cors.ok()) return cors.status();
                 c.access.cors = std::move(*cors);
                 return Status::Ok();
               },
               [](const Config& c) {
                 std::string out = fmt::format("{}", fmt::join(c.access.cors.origins, ","));
                 if (c.access.cors.any_origin) out += out.empty() ? "*" : ",*";
                 return out;
               }});
  s.push_back({"ASTRAGUARD_BREAKER_FAILURE_THRESHOLD", "",
               "Consecutive failures that open a circuit breaker.", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<int>(v, 1, 1000, c.resilience.breaker.failure_threshold);
               },
               [](const Config& c) {
                 return std::to_string(c.resilience.breaker.failure_threshold);
               }});
  s.push_back({"ASTRAGUARD_BREAKER_SUCCESS_THRESHOLD", "",
               "Successful trial calls that close a half-open circuit breaker.", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<int>(v, 1, 1000, c.resilience.breaker.success_threshold);
               },
               [](const Config& c) {
                 return std::to_string(c.resilience.breaker.success_threshold);
               }});
  s.push_back({"ASTRAGUARD_BREAKER_OPEN_TIMEOUT_MS", "",
               "Time a circuit breaker stays open before a trial call (ms).", false,
               [](Config& c, std::string_view v) {
                 return ParseTimeout(v, c.resilience.breaker.open_timeout);
               },
               [](const Config& c) { return Millis(c.resilience.breaker.open_timeout); }});
  s.push_back({"ASTRAGUARD_RETRY_MAX_ATTEMPTS", "",
               "Attempts of a retried call, the first included.", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<int>(v, 1, 10, c.resilience.retry.max_attempts);
               },
               [](const Config& c) { return std::to_string(c.resilience.retry.max_attempts); }});
  s.push_back({"ASTRAGUARD_RETRY_BASE_MS", "",
               "Backoff ceiling before the first retry (ms; doubles each retry, full jitter).",
               false,
               [](Config& c, std::string_view v) {
                 return detail::ParseMillis(v, 1, 600'000, c.resilience.retry.base);
               },
               [](const Config& c) { return Millis(c.resilience.retry.base); }});
  s.push_back({"ASTRAGUARD_RETRY_MAX_BACKOFF_MS", "",
               "Longest wait between two attempts (ms).", false,
               [](Config& c, std::string_view v) {
                 return detail::ParseMillis(v, 1, 600'000, c.resilience.retry.cap);
               },
               [](const Config& c) { return Millis(c.resilience.retry.cap); }});
  s.push_back({"ASTRAGUARD_HEALTH_INTERVAL_MS", "",
               "Interval of the health checker's probes of every dependency (ms).", false,
               [](Config& c, std::string_view v) {
                 return detail::ParseMillis(v, 10, 3'600'000, c.resilience.health.interval);
               },
               [](const Config& c) { return Millis(c.resilience.health.interval); }});
  s.push_back({"ASTRAGUARD_ENABLE_CHAOS", "",
               "Allow chaos experiments (/api/v1/chaos) when ENVIRONMENT=production "
               "(always allowed elsewhere).",
               false,
               [](Config& c, std::string_view v) {
                 return ParseBool(v, c.resilience.enable_chaos);
               },
               [](const Config& c) { return c.resilience.enable_chaos ? "true" : "false"; }});
  detail::AddTracingSettings(s);
  return s;
}

// What no single row decides: values derived from several settings, and checks across them.
Status Finish(Loaded& out) {
  Config& c = out.config;
  const bool production = IsProduction(c.environment);
  c.log.environment = c.environment;
  c.log.version = c.version;
  if (out.origins.at("ENABLE_JSON_LOGGING") == Origin::kDefault) {
    c.log.format = production ? obs::LogFormat::kJson : obs::LogFormat::kConsole;
  }
  c.resilience.chaos.enabled = !production || c.resilience.enable_chaos;
  c.resilience.chaos.redis_configured = !c.redis_url.empty();
  if (c.metrics_auth.user.empty() != c.metrics_auth.password.empty()) {
    return Invalid(fmt::format("{}: METRICS_USER and METRICS_PASSWORD must be set together",
                               c.metrics_auth.user.empty() ? "METRICS_USER" : "METRICS_PASSWORD"));
  }
  if (production && !c.access.auth.enabled()) {
    return Invalid(
        "ENVIRONMENT=production requires API keys: set ASTRAGUARD_API_KEYS or "
        "ASTRAGUARD_API_KEYS_FILE");
  }
  // Burst defaults to twice the rate; a role's own ASTRAGUARD_RATE_LIMIT_<ROLE> wins.
  for (auto& l : c.access.rate_limits) {
    if (out.origins.at("ASTRAGUARD_RATE_LIMIT_BURST") == Origin::kDefault && l.burst == 0 &&
        !l.unlimited()) {
      l.burst = std::max(1.0, 2 * l.per_second);
    }
    if (!l.unlimited() && l.burst < 1) {
      return Invalid("ASTRAGUARD_RATE_LIMIT_BURST: must be at least 1 when a rate is set");
    }
  }
  return detail::FinishTracing(c, production);
}

}  // namespace

std::array<detect::LimitsConfig, kPhaseCount> Config::LimitsByPhase() const {
  std::array<detect::LimitsConfig, kPhaseCount> out;
  for (size_t phase = 0; phase < kPhaseCount; ++phase) {
    out[phase] = limits;
    for (const auto& [name, l] : phase_limits[phase].channels) out[phase].channels[name] = l;
  }
  return out;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = BuildSettings();
  return settings;
}

Result<Loaded> Load(const EnvMap& env, const EnvMap& flags, std::string_view default_version) {
  Loaded out;
  out.config.version = std::string(default_version);
  const auto& settings = Settings();
  auto find = [&](std::string_view name) {
    return std::find_if(settings.begin(), settings.end(),
                        [&](const Setting& s) { return s.env == name; });
  };
  for (const auto& [name, value] : env) {
    if (name.rfind("ASTRAGUARD_", 0) == 0 && find(name) == settings.end()) {
      return Invalid(fmt::format("unknown variable {} (see `astraguard check-config --help`)",
                                 name));
    }
  }
  for (const Setting& s : settings) {
    out.origins[std::string(s.env)] = Origin::kDefault;
    auto it = env.find(std::string(s.env));
    if (it == env.end() || (s.empty_is_unset && it->second.empty())) continue;
    if (Status st = s.apply(out.config, it->second); !st.ok()) {
      return Invalid(fmt::format("{}: {}", s.env, st.message()));
    }
    out.origins[std::string(s.env)] = Origin::kEnvironment;
    out.given[std::string(s.env)] = it->second;
  }
  for (const auto& [name, value] : flags) {
    auto it = find(name);
    if (it == settings.end()) return Invalid(fmt::format("unknown setting {}", name));
    if (Status st = it->apply(out.config, value); !st.ok()) {
      return Invalid(fmt::format("{}: {}", it->flag.empty() ? it->env : it->flag, st.message()));
    }
    out.origins[name] = Origin::kFlag;
    out.given[name] = value;
  }
  if (Status st = Finish(out); !st.ok()) return st;
  return out;
}

EnvMap ProcessEnvironment() {
  EnvMap env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::string Describe(const Loaded& loaded) {
  std::string out;
  for (const Setting& s : Settings()) {
    const Origin o = loaded.origins.find(s.env)->second;
    std::string value;
    if (s.show) {
      value = s.show(loaded.config);
    } else if (auto it = loaded.given.find(s.env); it != loaded.given.end()) {
      value = it->second;
    }
    if (s.secret && !value.empty()) value = "<redacted>";
    const char* source = o == Origin::kFlag ? "flag" : o == Origin::kEnvironment ? "env" : "default";
    out += fmt::format("{}={}  ({})\n", s.env, value, source);
  }
  const obs::TracingConfig& t = loaded.config.tracing;
  out += fmt::format("OTLP traces endpoint = {} ({}){}\n", t.exporter.endpoint,
                     t.endpoint_source == "default" ? std::string("default")
                                                    : "from " + t.endpoint_source,
                     t.enabled ? "" : "; tracing disabled, nothing is exported");
  return out;
}

std::string Help(std::string_view default_version) {
  auto defaults = Load({}, {}, default_version);
  std::string out =
      "Settings: environment variables, overridden by the flags shown (serve, demo, "
      "check-config).\nAn unknown ASTRAGUARD_* variable or an invalid value stops start-up "
      "with exit code 2.\n";
  for (const Setting& s : Settings()) {
    std::string value = s.show && defaults.ok() ? s.show(defaults->config) : std::string();
    if (value.empty()) value = "unset";
    out += fmt::format("\n  {}{}{}  (default: {})\n      {}\n", s.env, s.flag.empty() ? "" : ", ",
                       s.flag, value, s.help);
  }
  return out;
}

}  // namespace astraguard::config
