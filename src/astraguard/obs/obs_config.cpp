#include "astraguard/obs/obs_config.hpp"

#include <charconv>

namespace astraguard::obs {
namespace {

Status Bad(std::string_view var, std::string_view why) {
  return Status::Error(Code::kInvalidArgument, std::string(var) + ": " + std::string(why));
}

const std::string* Get(const EnvMap& env, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end() || it->second.empty()) return nullptr;
  return &it->second;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<bool> ParseBool(const std::string& var, const std::string& v) {
  std::string l = Lower(Trim(v));
  if (l == "true" || l == "1" || l == "yes") return true;
  if (l == "false" || l == "0" || l == "no") return false;
  return Bad(var, "expected true or false, got '" + v + "'");
}

Result<long long> ParseInt(const std::string& var, const std::string& v, long long min,
                           long long max) {
  std::string_view t = Trim(v);
  long long x = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), x);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size())
    return Bad(var, "expected an integer, got '" + v + "'");
  if (x < min || x > max)
    return Bad(var, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return x;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(const std::string& var, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return Bad(var, "truncated %-escape");
      int hi = HexDigit(s[i + 1]);
      int lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return Bad(var, "bad %-escape");
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "k1=v1,k2=v2" (W3C-baggage-like list used by OTEL_RESOURCE_ATTRIBUTES and *_HEADERS).
Result<std::vector<std::pair<std::string, std::string>>> ParseKeyValueList(const std::string& var,
                                                                           const std::string& v) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view rest = v;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Bad(var, "expected key=value pairs separated by commas");
    auto key = PercentDecode(var, Trim(item.substr(0, eq)));
    if (!key.ok()) return key.status();
    auto value = PercentDecode(var, Trim(item.substr(eq + 1)));
    if (!value.ok()) return value.status();
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

Status ParseLogging(const EnvMap& env, const std::string& environment, LogConfig& log) {
  if (const auto* v = Get(env, "LOG_LEVEL")) {
    auto level = ParseLogLevel(*v);
    if (!level.ok()) return Bad("LOG_LEVEL", level.status().message());
    log.level = *level;
  }
  bool json = Lower(environment) == "production";
  if (const auto* v = Get(env, "ENABLE_JSON_LOGGING")) {
    auto b = ParseBool("ENABLE_JSON_LOGGING", *v);
    if (!b.ok()) return b.status();
    json = *b;
  }
  log.format = json ? LogFormat::kJson : LogFormat::kConsole;
  return Status::Ok();
}

Status ParseSampler(const EnvMap& env, SamplerConfig& s) {
  if (const auto* v = Get(env, "OTEL_TRACES_SAMPLER")) {
    std::string k = Lower(Trim(*v));
    if (k == "always_on")
      s.kind = SamplerKind::kAlwaysOn;
    else if (k == "always_off")
      s.kind = SamplerKind::kAlwaysOff;
    else if (k == "traceidratio")
      s.kind = SamplerKind::kTraceIdRatio;
    else if (k == "parentbased_always_on")
      s.kind = SamplerKind::kParentBasedAlwaysOn;
    else if (k == "parentbased_always_off")
      s.kind = SamplerKind::kParentBasedAlwaysOff;
    else if (k == "parentbased_traceidratio")
      s.kind = SamplerKind::kParentBasedTraceIdRatio;
    else
      return Bad("OTEL_TRACES_SAMPLER",
                 "expected always_on, always_off, traceidratio, parentbased_always_on, "
                 "parentbased_always_off or parentbased_traceidratio, got '" +
                     *v + "'");
  }
  if (const auto* v = Get(env, "OTEL_TRACES_SAMPLER_ARG")) {
    if (s.kind == SamplerKind::kTraceIdRatio || s.kind == SamplerKind::kParentBasedTraceIdRatio) {
      std::string_view t = Trim(*v);
      double r = 0;
      auto res = std::from_chars(t.data(), t.data() + t.size(), r);
      if (res.ec != std::errc() || res.ptr != t.data() + t.size() || !(r >= 0.0 && r <= 1.0))
        return Bad("OTEL_TRACES_SAMPLER_ARG", "expected a ratio in [0, 1], got '" + *v + "'");
      s.ratio = r;
    }
  }
  return Status::Ok();
}

Status ParseBatch(const EnvMap& env, BatchConfig& b) {
  struct MsVar {
    const char* name;
    std::chrono::milliseconds* out;
  } ms_vars[] = {{"OTEL_BSP_SCHEDULE_DELAY", &b.schedule_delay},
                 {"OTEL_BSP_EXPORT_TIMEOUT", &b.export_timeout}};
  for (auto& mv : ms_vars) {
    if (const auto* v = Get(env, mv.name)) {
      auto x = ParseInt(mv.name, *v, 1, 3'600'000);
      if (!x.ok()) return x.status();
      *mv.out = std::chrono::milliseconds(*x);
    }
  }
  if (const auto* v = Get(env, "OTEL_BSP_MAX_QUEUE_SIZE")) {
    auto x = ParseInt("OTEL_BSP_MAX_QUEUE_SIZE", *v, 1, 1 << 20);
    if (!x.ok()) return x.status();
    b.max_queue_size = static_cast<std::size_t>(*x);
  }
  if (const auto* v = Get(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    auto x = ParseInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *v, 1, 1 << 20);
    if (!x.ok()) return x.status();
    b.max_export_batch_size = static_cast<std::size_t>(*x);
  }
  if (b.max_export_batch_size > b.max_queue_size)
    return Bad("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "must not exceed OTEL_BSP_MAX_QUEUE_SIZE");
  return Status::Ok();
}

Result<std::string> HostOfUrl(const std::string& var, const std::string& url) {
  std::string_view u = Trim(url);
  std::size_t scheme = u.find("://");
  if (scheme == std::string_view::npos) return Bad(var, "expected a URL, got '" + url + "'");
  std::string_view rest = u.substr(scheme + 3);
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(var, "bad IPv6 literal");
    host = authority.substr(0, close + 1);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  if (host.empty()) return Bad(var, "URL has no host: '" + url + "'");
  return std::string(host);
}

Status ParseExporter(const EnvMap& env, TracingConfig& t) {
  auto& e = t.exporter;
  if (const auto* v = Get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    e.endpoint = std::string(Trim(*v));
    t.endpoint_source = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  } else if (const auto* v = Get(env, "OTEL_EXPORTER_OTLP_ENDPOINT")) {
    std::string base(Trim(*v));
    while (!base.empty() && base.back() == '/') base.pop_back();
    e.endpoint = base + "/v1/traces";
    t.endpoint_source = "OTEL_EXPORTER_OTLP_ENDPOINT";
  } else if (const auto* v = Get(env, "OTEL_EXPORTER_JAEGER_ENDPOINT")) {
    auto host = HostOfUrl("OTEL_EXPORTER_JAEGER_ENDPOINT", *v);
    if (!host.ok()) return host.status();
    e.endpoint = "http://" + *host + ":4318/v1/traces";
    t.endpoint_source = "OTEL_EXPORTER_JAEGER_ENDPOINT";
  } else if (const auto* v = Get(env, "JAEGER_HOST")) {
    std::string host(Trim(*v));
    if (host.find_first_of("/:@ ") != std::string::npos && host.front() != '[')
      return Bad("JAEGER_HOST", "expected a host name, got '" + *v + "'");
    e.endpoint = "http://" + host + ":4318/v1/traces";
    t.endpoint_source = "JAEGER_HOST";
  } else {
    t.endpoint_source = "default";
  }
  if (const auto* v = Get(env, "JAEGER_PORT")) {
    auto p = ParseInt("JAEGER_PORT", *v, 1, 65535);
    if (!p.ok()) return p.status();
  }
  if (auto url = ParseHttpUrl(e.endpoint); !url.ok())
    return Bad(t.endpoint_source, url.status().message());

  const std::string* proto = Get(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
  std::string proto_var = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
  if (proto == nullptr) {
    proto = Get(env, "OTEL_EXPORTER_OTLP_PROTOCOL");
    proto_var = "OTEL_EXPORTER_OTLP_PROTOCOL";
  }
  if (proto != nullptr) {
    std::string p = Lower(Trim(*proto));
    if (p == "http/protobuf")
      e.protocol = OtlpProtocol::kHttpProtobuf;
    else if (p == "http/json")
      e.protocol = OtlpProtocol::kHttpJson;
    else
      return Bad(proto_var,
                 "supported: http/protobuf, http/json (grpc is not), got '" + *proto + "'");
  }

  for (const char* var : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    if (const auto* v = Get(env, var)) {
      auto kv = ParseKeyValueList(var, *v);
      if (!kv.ok()) return kv.status();
      for (auto& [k, val] : *kv) {
        if (k.find_first_of("\r\n: ") != std::string::npos ||
            val.find_first_of("\r\n") != std::string::npos)
          return Bad(var, "header names/values must not contain CR, LF (or ':' in names)");
        bool replaced = false;
        for (auto& h : e.headers)
          if (Lower(h.first) == Lower(k)) {
            h.second = val;
            replaced = true;
          }
        if (!replaced) e.headers.emplace_back(k, val);
      }
    }
  }
  const std::string* to = Get(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT");
  std::string to_var = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
  if (to == nullptr) {
    to = Get(env, "OTEL_EXPORTER_OTLP_TIMEOUT");
    to_var = "OTEL_EXPORTER_OTLP_TIMEOUT";
  }
  if (to != nullptr) {
    auto x = ParseInt(to_var, *to, 1, 600'000);
    if (!x.ok()) return x.status();
    e.timeout = std::chrono::milliseconds(*x);
  }
  return Status::Ok();
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view value) {
  std::string l = Lower(Trim(value));
  if (l == "debug") return LogLevel::kDebug;
  if (l == "info") return LogLevel::kInfo;
  if (l == "warning" || l == "warn") return LogLevel::kWarning;
  if (l == "error") return LogLevel::kError;
  if (l == "critical") return LogLevel::kCritical;
  return Status::Error(
      Code::kInvalidArgument,
      "expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got '" + std::string(value) + "'");
}

Result<ObsConfig> ParseObsConfig(const EnvMap& env, std::string_view default_version) {
  ObsConfig c;
  const std::string* environment = Get(env, "ENVIRONMENT");
  const std::string* version = Get(env, "APP_VERSION");
  c.log.environment = environment ? *environment : "development";
  c.log.version = version ? *version : std::string(default_version);
  if (Status s = ParseLogging(env, c.log.environment, c.log); !s.ok()) return s;

  TracingConfig& t = c.tracing;
  if (const auto* v = Get(env, "OTEL_SDK_DISABLED")) {
    auto b = ParseBool("OTEL_SDK_DISABLED", *v);
    if (!b.ok()) return b.status();
    if (*b) t.enabled = false;
  }
  if (const auto* v = Get(env, "OTEL_TRACES_EXPORTER")) {
    std::string x = Lower(Trim(*v));
    if (x == "none")
      t.enabled = false;
    else if (x != "otlp")
      return Bad("OTEL_TRACES_EXPORTER",
                 "supported: otlp, none (Jaeger >= 1.46 accepts OTLP), got '" + *v + "'");
  }
  if (const auto* v = Get(env, "OTEL_PROPAGATORS")) {
    t.propagate_w3c = false;
    std::string_view rest = *v;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string item = Lower(Trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item == "tracecontext")
        t.propagate_w3c = true;
      else if (item == "baggage" || item == "none" || item.empty())
        continue;
      else
        return Bad("OTEL_PROPAGATORS",
                   "supported: tracecontext, baggage, none; got '" + item + "'");
    }
  }
  if (Status s = ParseSampler(env, t.sampler); !s.ok()) return s;
  if (Status s = ParseBatch(env, t.batch); !s.ok()) return s;
  if (Status s = ParseExporter(env, t); !s.ok()) return s;
  t.exporter.timeout = std::min(t.exporter.timeout, t.batch.export_timeout);

  // Resource: defaults, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME wins.
  Resource& r = t.resource;
  r.attributes.Set("service.name", "astra-guard");
  r.attributes.Set("service.version", c.log.version);
  r.attributes.Set("deployment.environment.name", c.log.environment);
  r.attributes.Set("telemetry.sdk.name", "astraguard");
  r.attributes.Set("telemetry.sdk.language", "cpp");
  if (const auto* v = Get(env, "SERVICE_NAME")) r.attributes.Set("service.name", *v);
  if (const auto* v = Get(env, "OTEL_RESOURCE_ATTRIBUTES")) {
    auto kv = ParseKeyValueList("OTEL_RESOURCE_ATTRIBUTES", *v);
    if (!kv.ok()) return kv.status();
    for (auto& [k, val] : *kv) r.attributes.Set(k, val);
  }
  if (const auto* v = Get(env, "OTEL_SERVICE_NAME")) r.attributes.Set("service.name", *v);
  if (auto name = r.attributes.Find("service.name"))
    c.log.service = std::string(std::get<std::string_view>(*name));

  const std::string* user = Get(env, "METRICS_USER");
  const std::string* pass = Get(env, "METRICS_PASSWORD");
  if ((user == nullptr) != (pass == nullptr))
    return Bad(user ? "METRICS_PASSWORD" : "METRICS_USER",
               "METRICS_USER and METRICS_PASSWORD must be set together");
  if (user != nullptr) {
    if (user->find(':') != std::string::npos) return Bad("METRICS_USER", "must not contain ':'");
    c.metrics_auth.user = *user;
    c.metrics_auth.password = *pass;
  }
  return c;
}

}  // namespace astraguard::obs
