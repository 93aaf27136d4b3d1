#include "astraguard/config/config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "astraguard/ingest/telemetry.hpp"

extern char** environ;

namespace astraguard::config {
namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

template <typename T>
Status ParseUnsigned(std::string_view s, T min, T max, T& out) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < min || v > max) {
    return Invalid(fmt::format("must be an integer in [{}, {}], got '{}'", min, max, s));
  }
  out = static_cast<T>(v);
  return Status::Ok();
}

Status ParseMillis(std::string_view s, std::chrono::milliseconds& out) {
  uint64_t ms = 0;
  if (Status st = ParseUnsigned<uint64_t>(s, 1, 86'400'000, ms); !st.ok()) return st;
  out = std::chrono::milliseconds(ms);
  return Status::Ok();
}

Status ParseBool(std::string_view s, bool& out) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true" || l == "1" || l == "yes" || l == "on") {
    out = true;
  } else if (l == "false" || l == "0" || l == "no" || l == "off") {
    out = false;
  } else {
    return Invalid(fmt::format("must be true or false, got '{}'", s));
  }
  return Status::Ok();
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
  s.push_back({"ASTRAGUARD_READ_TIMEOUT_MS", "--read-timeout-ms",
               "Time allowed from a request's first byte to its last (ms).", false,
               [](Config& c, std::string_view v) { return ParseMillis(v, c.server.read_timeout); },
               [](const Config& c) { return Millis(c.server.read_timeout); }});
  s.push_back({"ASTRAGUARD_IDLE_TIMEOUT_MS", "--idle-timeout-ms",
               "Keep-alive wait for the next request before closing (ms).", false,
               [](Config& c, std::string_view v) { return ParseMillis(v, c.server.idle_timeout); },
               [](const Config& c) { return Millis(c.server.idle_timeout); }});
  s.push_back({"ASTRAGUARD_DRAIN_TIMEOUT_MS", "--drain-timeout-ms",
               "Graceful-shutdown budget for in-flight requests (ms).", false,
               [](Config& c, std::string_view v) {
                 return ParseMillis(v, c.server.drain_timeout);
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
  s.push_back({"LOG_LEVEL", "--log-level", "DEBUG, INFO, WARNING or ERROR.", false,
               [](Config& c, std::string_view v) {
                 std::string u(v);
                 std::transform(u.begin(), u.end(), u.begin(),
                                [](unsigned char ch) { return std::toupper(ch); });
                 if (u == "WARN") u = "WARNING";
                 if (u != "DEBUG" && u != "INFO" && u != "WARNING" && u != "ERROR") {
                   return Invalid(fmt::format("must be DEBUG, INFO, WARNING or ERROR, got '{}'", v));
                 }
                 c.log.level = u;
                 return Status::Ok();
               },
               [](const Config& c) { return c.log.level; }});
  s.push_back({"ENABLE_JSON_LOGGING", "", "JSON log lines (default: true in production).", false,
               [](Config& c, std::string_view v) { return ParseBool(v, c.log.json); },
               [](const Config& c) { return std::string(c.log.json ? "true" : "false"); }});
  s.push_back({"ENVIRONMENT", "", "Deployment environment name (e.g. production).", false,
               [](Config& c, std::string_view v) {
                 if (!ingest::IsValidName(v)) return Invalid("must be 1-64 characters of [A-Za-z0-9._-]");
                 c.environment = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.environment; }});
  s.push_back({"APP_VERSION", "", "Version reported by /health and astra_build_info.", false,
               [](Config& c, std::string_view v) {
                 if (!ingest::IsValidName(v)) return Invalid("must be 1-64 characters of [A-Za-z0-9._-]");
                 c.version = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return c.version; }});
  s.push_back({"REDIS_URL", "", "Redis for shared state (empty: embedded in-memory state).", false,
               [](Config& c, std::string_view v) {
                 if (!v.empty() && v.rfind("redis://", 0) != 0) {
                   return Invalid("must start with redis://");
                 }
                 c.redis_url = std::string(v);
                 return Status::Ok();
               },
               [](const Config& c) { return RedactUserinfo(c.redis_url); }});
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
               "Anomalies kept by the embedded in-memory history (oldest evicted).", false,
               [](Config& c, std::string_view v) {
                 return ParseUnsigned<size_t>(v, 1, 10'000'000, c.mission.history_capacity);
               },
               [](const Config& c) { return std::to_string(c.mission.history_capacity); }});
  return s;
}

bool IsTracingVariable(std::string_view name) {
  return name.rfind("OTEL_", 0) == 0 || name.rfind("JAEGER_", 0) == 0;
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

Result<Loaded> Load(const std::map<std::string, std::string>& env,
                    const std::map<std::string, std::string>& flags,
                    std::string_view default_version) {
  Loaded out;
  out.config.version = std::string(default_version);
  const auto& settings = Settings();
  auto find = [&](std::string_view name) {
    return std::find_if(settings.begin(), settings.end(),
                        [&](const Setting& s) { return s.env == name; });
  };
  for (const auto& [name, value] : env) {
    if (IsTracingVariable(name)) out.config.tracing_env[name] = value;
    if (name.rfind("ASTRAGUARD_", 0) == 0 && find(name) == settings.end()) {
      return Invalid(fmt::format("unknown variable {} (see `astraguard check-config --help`)",
                                 name));
    }
  }
  auto env_it = env.find("ENVIRONMENT");
  if (env_it != env.end() && env_it->second == "production") out.config.log.json = true;
  for (const Setting& s : settings) {
    out.origins[std::string(s.env)] = Origin::kDefault;
    if (auto it = env.find(std::string(s.env)); it != env.end()) {
      if (Status st = s.apply(out.config, it->second); !st.ok()) {
        return Invalid(fmt::format("{}: {}", s.env, st.message()));
      }
      out.origins[std::string(s.env)] = Origin::kEnvironment;
    }
  }
  for (const auto& [name, value] : flags) {
    auto it = find(name);
    if (it == settings.end()) return Invalid(fmt::format("unknown setting {}", name));
    if (Status st = it->apply(out.config, value); !st.ok()) {
      return Invalid(fmt::format("{}: {}", it->flag.empty() ? it->env : it->flag, st.message()));
    }
    out.origins[name] = Origin::kFlag;
  }
  auto obs_config = obs::ParseObsConfig(env, out.config.version);
  if (!obs_config.ok()) return Invalid(obs_config.status().message());
  auto level = obs::ParseLogLevel(out.config.log.level);
  if (!level.ok()) return Invalid(fmt::format("LOG_LEVEL: {}", level.status().message()));
  obs_config->log.level = *level;
  obs_config->log.format = out.config.log.json ? obs::LogFormat::kJson : obs::LogFormat::kConsole;
  obs_config->log.environment = out.config.environment;
  obs_config->log.version = out.config.version;
  out.config.obs = std::move(*obs_config);
  return out;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
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
    Origin o = loaded.origins.at(std::string(s.env));
    std::string value = s.show(loaded.config);
    if (s.secret && !value.empty()) value = "<redacted>";
    const char* source = o == Origin::kFlag ? "flag" : o == Origin::kEnvironment ? "env" : "default";
    out += fmt::format("{}={}  ({})\n", s.env, value, source);
  }
  for (const auto& [name, value] : loaded.config.tracing_env) {
    bool secret = name.find("HEADERS") != std::string::npos;
    out += fmt::format("{}={}  (env)\n", name, secret ? "<redacted>" : value);
  }
  return out;
}

}  // namespace astraguard::config
