#pragma once
// Config: the whole service configuration as a tree of plain structs, each component's own
// options struct (http::ServerOptions, obs::LogConfig, obs::TracingConfig,
// obs::MetricsAuthConfig, detect::LimitsConfig, resilience and chaos options), loaded once at the edge from environment
// variables and command-line flags (flags win), validated, then passed down by const reference.
// Components never read the environment themselves.
//
// Every variable the service reads is one row of Settings(): its name, its flag (if any), its
// help text, how to parse a value into the Config and how to show the resolved value. Each
// variable is parsed by its row only, with the value parsers of values.hpp (one for booleans,
// one for log levels...). Unknown ASTRAGUARD_* variables and invalid values fail with a message
// naming the variable or flag (exit code 2 at start-up). `check-config` prints Describe();
// `check-config --help` prints Help().
//
// Thread-safety: plain values and pure functions; load once, then share read-only.

#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/auth/access_control.hpp"
#include "astraguard/chaos/chaos.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/detect/limits.hpp"
#include "astraguard/http/options.hpp"
#include "astraguard/kv/redis_client.hpp"
#include "astraguard/resilience/circuit_breaker.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/metrics/metrics.hpp"
#include "astraguard/obs/otlp/tracing_pipeline.hpp"
#include "astraguard/resilience/circuit_breaker.hpp"
#include "astraguard/resilience/health.hpp"
#include "astraguard/resilience/retry.hpp"
#include "astraguard/storage/anomaly_log.hpp"

namespace astraguard::config {

using EnvMap = std::map<std::string, std::string>;

struct MissionConfig {
  std::string policy_file;           // empty: the built-in policy (etc/mission_policies.yaml)
  size_t history_capacity = 100000;  // anomalies kept by the embedded in-memory history
  // ASTRAGUARD_DATA_DIR: the history's append-only file (storage/anomaly_log.hpp); empty: none.
  std::string data_dir;
  storage::FsyncPolicy data_fsync = storage::FsyncPolicy::kEverySecond;
  std::chrono::seconds latest_ttl{300};  // GET /api/v1/satellites lists records this recent
  std::chrono::milliseconds latest_redis_interval{1000};  // Redis writes per satellite, at most
};

// The shared state in Redis (REDIS_URL and ASTRAGUARD_REDIS_*).
struct RedisConfig {
  kv::RedisOptions client;            // endpoint from REDIS_URL; timeout: the per-call budget
  size_t replay_capacity = 10'000;    // writes buffered while Redis is unreachable
  std::string spool_path;             // file the buffered writes are also appended to; empty: none
};

// Circuit breakers, retries, the health checker and chaos experiments.
struct ResilienceConfig {
  resilience::BreakerOptions breaker;       // ASTRAGUARD_BREAKER_* (every breaker)
  resilience::RetryOptions retry;           // ASTRAGUARD_RETRY_* (every retried call)
  resilience::HealthCheckerOptions health;  // ASTRAGUARD_HEALTH_INTERVAL_MS
  bool enable_chaos = false;                // ASTRAGUARD_ENABLE_CHAOS (matters in production)
  chaos::ChaosOptions chaos;                // set by Load from ENVIRONMENT, the above, REDIS_URL
};

// Mission phases in the order of mission::Phase (app checks the correspondence).
inline constexpr std::string_view kPhaseNames[] = {"LAUNCH", "DEPLOYMENT", "NOMINAL_OPS",
                                                   "PAYLOAD_OPS", "SAFE_MODE"};
inline constexpr size_t kPhaseCount = std::size(kPhaseNames);

struct Config {
  // ENVIRONMENT and APP_VERSION; Load copies them into log and the tracing resource.
  std::string environment = "development";
  std::string version;  // defaults to the build's version
  http::ServerOptions server;
  obs::LogConfig log;                   // LOG_LEVEL, ENABLE_JSON_LOGGING, service name
  obs::TracingConfig tracing;           // OTEL_*, JAEGER_*, SERVICE_NAME
  obs::MetricsAuthConfig metrics_auth;  // METRICS_USER, METRICS_PASSWORD
  detect::LimitsConfig limits = detect::DefaultLimits();
  // Per mission phase (kPhaseNames order): channels whose limits differ in that phase
  // (ASTRAGUARD_LIMITS_<PHASE>); every other channel uses `limits`.
  std::array<detect::LimitsConfig, kPhaseCount> phase_limits;
  // The limits in force in each phase: `limits` with the phase's overrides applied.
  std::array<detect::LimitsConfig, kPhaseCount> LimitsByPhase() const;
  std::string redis_url;  // empty: embedded in-memory state
  RedisConfig redis;      // used when redis_url is set
  // Learned model file (ASTRAGUARD_MODEL). Empty: the default model built next to the binary
  // (<dir of astraguard>/models/default.model); the CLI resolves it before the app starts.
  std::string model_path;
  // Nominal records before a channel without a model is fitted online
  // (ASTRAGUARD_ONLINE_TRAIN_STEPS); 0: off.
  std::size_t online_train_steps = 1000;
  // Model file of the online models, loaded at start and written at shutdown
  // (ASTRAGUARD_LEARNED_MODELS); empty: not kept.
  std::string learned_models_path;
  MissionConfig mission;
  // API keys, rate limits by role, CORS origins (ASTRAGUARD_API_KEYS[_FILE],
  // ASTRAGUARD_RATE_LIMIT_*, ALLOWED_ORIGINS). Production without keys fails Load.
  auth::AccessConfig access;
  ResilienceConfig resilience;
};

// Where a setting's value came from; names the variable or flag in error messages.
enum class Origin { kDefault, kEnvironment, kFlag };

struct Setting {
  std::string_view env;   // e.g. "ASTRAGUARD_PORT"
  std::string_view flag;  // e.g. "--port"; empty when there is no flag
  std::string_view help;
  bool secret = false;  // redacted by check-config
  // Parses and validates a value and stores it. Rows are applied in table order, so a row may
  // read what an earlier row stored (e.g. OTEL_TRACES_SAMPLER_ARG reads the sampler kind).
  std::function<Status(Config&, std::string_view)> apply;
  // The resolved value shown by check-config; null for variables that only feed a resolved
  // value shown on its own line (e.g. JAEGER_HOST -> the OTLP traces endpoint): those are shown
  // as given.
  std::function<std::string(const Config&)> show;
  bool empty_is_unset = false;  // OpenTelemetry's convention: an empty value counts as unset
};

// The table of every known setting.
const std::vector<Setting>& Settings();

struct Loaded {
  Config config;
  std::map<std::string, Origin, std::less<>> origins;     // by variable name
  std::map<std::string, std::string, std::less<>> given;  // values as given, by variable name
};

// Resolves env then flags (keyed by variable name, e.g. {"ASTRAGUARD_PORT", "0"}) over defaults.
// `default_version` fills APP_VERSION when unset.
Result<Loaded> Load(const EnvMap& env, const EnvMap& flags, std::string_view default_version);

// The process environment as a map.
EnvMap ProcessEnvironment();

// One line per setting, `NAME=value  (source)`, secrets shown as "<redacted>", then the
// resolved OTLP traces endpoint and the variable it came from.
std::string Describe(const Loaded& loaded);

// Every setting with its flag, default and meaning (for `check-config --help`).
std::string Help(std::string_view default_version);

}  // namespace astraguard::config
