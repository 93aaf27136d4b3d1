#pragma once
// Config: the whole service configuration as a tree of plain structs, loaded once at the edge
// from environment variables and command-line flags (flags win), validated, then passed down by
// const reference. Components never read the environment themselves.
//
// Every setting is one row of Settings(): its variable, its flag (if any), its help text, how
// to apply a string value and how to show the resolved value. Unknown ASTRAGUARD_* variables
// and invalid values fail with a message naming the variable or flag (exit code 2 at start-up).
//
// Thread-safety: plain values; load once, then share read-only.

#include <array>
#include <chrono>
#include <iterator>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/limits.hpp"
#include "astraguard/obs/obs_config.hpp"

namespace astraguard::config {

struct ServerConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 8000;           // API listener; 0 picks a free port
  uint16_t metrics_port = 9090;   // /metrics-only listener; 0 picks a free port
  unsigned io_threads = 0;        // 0: one per core
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 8 << 10;
  unsigned max_connections = 10000;       // API listener; lowered at start to fit RLIMIT_NOFILE
  unsigned max_metrics_connections = 16;  // /metrics listener: its own cap, so that a full API
                                          // listener never blinds monitoring
  std::chrono::milliseconds read_timeout{10000};   // from first byte to full request
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait for the next request
  std::chrono::milliseconds drain_timeout{10000};  // graceful shutdown budget
};

struct LogConfig {
  std::string level = "INFO";  // DEBUG, INFO, WARNING, ERROR
  bool json = false;           // default true when environment is "production"
};

struct MissionConfig {
  std::string policy_file;           // empty: the built-in policy (etc/mission_policies.yaml)
  size_t history_capacity = 100000;  // anomalies kept by the embedded in-memory history
};

// Mission phases in the order of mission::Phase (app checks the correspondence).
inline constexpr std::string_view kPhaseNames[] = {"LAUNCH", "DEPLOYMENT", "NOMINAL_OPS",
                                                   "PAYLOAD_OPS", "SAFE_MODE"};
inline constexpr size_t kPhaseCount = std::size(kPhaseNames);

struct Config {
  std::string environment = "development";
  std::string version;  // APP_VERSION; defaults to the build's version
  ServerConfig server;
  LogConfig log;
  detect::LimitsConfig limits = detect::DefaultLimits();
  // Per mission phase (kPhaseNames order): channels whose limits differ in that phase
  // (ASTRAGUARD_LIMITS_<PHASE>); every other channel uses `limits`.
  std::array<detect::LimitsConfig, kPhaseCount> phase_limits;
  // The limits in force in each phase: `limits` with the phase's overrides applied.
  std::array<detect::LimitsConfig, kPhaseCount> LimitsByPhase() const;
  std::string redis_url;  // empty: embedded in-memory state
  // Learned model file (ASTRAGUARD_MODEL). Empty: the default model built next to the binary
  // (<dir of astraguard>/models/default.model); the CLI resolves it before the app starts.
  std::string model_path;
  MissionConfig mission;
  // Every OTEL_* / JAEGER_* variable as given; the tracing component parses them.
  std::map<std::string, std::string> tracing_env;
  // Logger/tracer/metrics-auth settings built by obs::ParseObsConfig from the same environment
  // (LOG_LEVEL/ENABLE_JSON_LOGGING/ENVIRONMENT/APP_VERSION above win over its own reading).
  obs::ObsConfig obs;
};

// Where a setting's value came from; names the variable or flag in error messages.
enum class Origin { kDefault, kEnvironment, kFlag };

struct Setting {
  std::string_view env;   // e.g. "ASTRAGUARD_PORT"
  std::string_view flag;  // e.g. "--port"; empty when there is no flag
  std::string_view help;
  bool secret = false;    // redacted by check-config
  std::function<Status(Config&, std::string_view)> apply;  // parse + validate + store
  std::function<std::string(const Config&)> show;         // resolved value for check-config
};

// The table of every known setting.
const std::vector<Setting>& Settings();

struct Loaded {
  Config config;
  std::map<std::string, Origin, std::less<>> origins;  // by variable name
};

// Resolves env then flags (keyed by variable name, e.g. {"ASTRAGUARD_PORT", "0"}) over defaults.
// `default_version` fills APP_VERSION when unset.
Result<Loaded> Load(const std::map<std::string, std::string>& env,
                    const std::map<std::string, std::string>& flags,
                    std::string_view default_version);

// The process environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

// One line per setting, `NAME=value  (source)`, secrets shown as "<redacted>".
std::string Describe(const Loaded& loaded);

}  // namespace astraguard::config
