#include "astraguard/config/tracing_settings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "astraguard/config/values.hpp"
#include "astraguard/http/client/client.hpp"

namespace astraguard::config::detail {
namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

// An OpenTelemetry-style row: an empty value counts as unset.
Setting Row(std::string_view env, std::string_view help,
            std::function<Status(Config&, std::string_view)> apply,
            std::function<std::string(const Config&)> show = nullptr, bool secret = false) {
  return Setting{.env = env,
                 .flag = "",
                 .help = help,
                 .secret = secret,
                 .apply = std::move(apply),
                 .show = std::move(show),
                 .empty_is_unset = true};
}

constexpr struct {
  std::string_view name;
  obs::SamplerKind kind;
} kSamplers[] = {{"always_on", obs::SamplerKind::kAlwaysOn},
                 {"always_off", obs::SamplerKind::kAlwaysOff},
                 {"traceidratio", obs::SamplerKind::kTraceIdRatio},
                 {"parentbased_always_on", obs::SamplerKind::kParentBasedAlwaysOn},
                 {"parentbased_always_off", obs::SamplerKind::kParentBasedAlwaysOff},
                 {"parentbased_traceidratio", obs::SamplerKind::kParentBasedTraceIdRatio}};

// The endpoint chosen by `var`, which wins over the variables before it in the table.
Status SetEndpoint(Config& c, std::string_view var, std::string endpoint) {
  if (auto url = http::ParseUrl(endpoint); !url.ok()) return url.status();
  c.tracing.exporter.endpoint = std::move(endpoint);
  c.tracing.endpoint_source = std::string(var);
  return Status::Ok();
}

// http://H:14268/api/traces -> H (IPv6 literals keep their brackets).
Result<std::string> HostOfUrl(std::string_view url) {
  const std::string_view u = Trim(url);
  const size_t scheme = u.find("://");
  if (scheme == std::string_view::npos) return Invalid(fmt::format("expected a URL, got '{}'", url));
  const std::string_view rest = u.substr(scheme + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("bad IPv6 literal");
    host = authority.substr(0, close + 1);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  if (host.empty()) return Invalid(fmt::format("URL has no host: '{}'", url));
  return std::string(host);
}

Status ParseProtocol(std::string_view v, obs::OtlpProtocol& out) {
  const std::string p = Lower(Trim(v));
  if (p == "http/protobuf") {
    out = obs::OtlpProtocol::kHttpProtobuf;
  } else if (p == "http/json") {
    out = obs::OtlpProtocol::kHttpJson;
  } else {
    return Invalid(fmt::format("supported: http/protobuf, http/json (grpc is not), got '{}'", v));
  }
  return Status::Ok();
}

// Adds headers, replacing those of the same name (case-insensitive).
Status MergeHeaders(std::string_view v, http::Headers& headers) {
  auto kv = ParseKeyValueList(v);
  if (!kv.ok()) return kv.status();
  for (auto& [k, val] : *kv) {
    if (k.find_first_of("\r\n: ") != std::string::npos ||
        val.find_first_of("\r\n") != std::string::npos) {
      return Invalid("header names/values must not contain CR, LF (or ':' in names)");
    }
    bool replaced = false;
    for (auto& h : headers) {
      if (Lower(h.first) == Lower(k)) {
        h.second = val;
        replaced = true;
      }
    }
    if (!replaced) headers.emplace_back(k, val);
  }
  return Status::Ok();
}

Status SetServiceName(Config& c, std::string_view v) {
  c.tracing.resource.attributes.Set("service.name", v);
  return Status::Ok();
}

Status ParseBatchSize(std::string_view v, size_t& out) {
  return ParseUnsigned<size_t>(v, 1, 1 << 20, out);
}

}  // namespace

void AddTracingSettings(std::vector<Setting>& s) {
  s.push_back(Row("OTEL_SDK_DISABLED", "true: no spans at all (incoming traceparent still echoed).",
                  [](Config& c, std::string_view v) {
                    bool disabled = false;
                    if (Status st = ParseBool(v, disabled); !st.ok()) return st;
                    if (disabled) c.tracing.enabled = false;
                    return Status::Ok();
                  }));
  s.push_back(Row("OTEL_TRACES_EXPORTER", "otlp (default) or none (no spans).",
                  [](Config& c, std::string_view v) {
                    const std::string x = Lower(Trim(v));
                    if (x == "none") {
                      c.tracing.enabled = false;
                    } else if (x != "otlp") {
                      return Invalid(fmt::format(
                          "supported: otlp, none (Jaeger >= 1.46 accepts OTLP), got '{}'", v));
                    }
                    return Status::Ok();
                  }));
  s.push_back(Row("OTEL_PROPAGATORS",
                  "Comma-separated: tracecontext (W3C traceparent in and out), baggage, none. "
                  "Default tracecontext,baggage.",
                  [](Config& c, std::string_view v) {
                    c.tracing.propagate_w3c = false;
                    std::string_view rest = v;
                    while (!rest.empty()) {
                      const size_t comma = rest.find(',');
                      const std::string item = Lower(Trim(rest.substr(0, comma)));
                      rest = comma == std::string_view::npos ? std::string_view()
                                                             : rest.substr(comma + 1);
                      if (item == "tracecontext") {
                        c.tracing.propagate_w3c = true;
                      } else if (item != "baggage" && item != "none" && !item.empty()) {
                        return Invalid(fmt::format(
                            "supported: tracecontext, baggage, none; got '{}'", item));
                      }
                    }
                    return Status::Ok();
                  }));
  s.push_back(Row(
      "OTEL_TRACES_SAMPLER",
      "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or "
      "parentbased_traceidratio.",
      [](Config& c, std::string_view v) {
        const std::string k = Lower(Trim(v));
        for (const auto& sampler : kSamplers) {
          if (sampler.name == k) {
            c.tracing.sampler.kind = sampler.kind;
            return Status::Ok();
          }
        }
        return Invalid(fmt::format(
            "expected always_on, always_off, traceidratio, parentbased_always_on, "
            "parentbased_always_off or parentbased_traceidratio, got '{}'",
            v));
      },
      [](const Config& c) {
        for (const auto& sampler : kSamplers) {
          if (sampler.kind == c.tracing.sampler.kind) return std::string(sampler.name);
        }
        return std::string();
      }));
  s.push_back(Row("OTEL_TRACES_SAMPLER_ARG",
                  "Sampling ratio in [0, 1] for the *traceidratio samplers (default 1).",
                  [](Config& c, std::string_view v) {
                    const auto kind = c.tracing.sampler.kind;
                    if (kind != obs::SamplerKind::kTraceIdRatio &&
                        kind != obs::SamplerKind::kParentBasedTraceIdRatio) {
                      return Status::Ok();  // ignored by the other samplers
                    }
                    return ParseRatio(v, c.tracing.sampler.ratio);
                  }));
  s.push_back(Row("OTEL_BSP_SCHEDULE_DELAY", "Span export interval (ms).",
                  [](Config& c, std::string_view v) {
                    return ParseMillis(v, 1, 3'600'000, c.tracing.batch.schedule_delay);
                  },
                  [](const Config& c) {
                    return std::to_string(c.tracing.batch.schedule_delay.count());
                  }));
  s.push_back(Row("OTEL_BSP_EXPORT_TIMEOUT", "Budget of one batch export, retries included (ms).",
                  [](Config& c, std::string_view v) {
                    return ParseMillis(v, 1, 3'600'000, c.tracing.batch.export_timeout);
                  },
                  [](const Config& c) {
                    return std::to_string(c.tracing.batch.export_timeout.count());
                  }));
  s.push_back(Row("OTEL_BSP_MAX_QUEUE_SIZE", "Finished spans queued for export (more: dropped).",
                  [](Config& c, std::string_view v) {
                    return ParseBatchSize(v, c.tracing.batch.max_queue_size);
                  },
                  [](const Config& c) { return std::to_string(c.tracing.batch.max_queue_size); }));
  s.push_back(Row("OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                  "Spans per export request (at most OTEL_BSP_MAX_QUEUE_SIZE).",
                  [](Config& c, std::string_view v) {
                    return ParseBatchSize(v, c.tracing.batch.max_export_batch_size);
                  },
                  [](const Config& c) {
                    return std::to_string(c.tracing.batch.max_export_batch_size);
                  }));
  // Endpoint, lowest precedence first: each one set replaces the ones before it.
  s.push_back(Row("JAEGER_HOST",
                  "The guide's Jaeger host H: traces go to Jaeger's OTLP/HTTP receiver "
                  "http://H:4318/v1/traces unless an endpoint variable below is set.",
                  [](Config& c, std::string_view v) {
                    const std::string host(Trim(v));
                    if (host.empty() ||
                        (host.find_first_of("/:@ ") != std::string::npos && host.front() != '[')) {
                      return Invalid(fmt::format("expected a host name, got '{}'", v));
                    }
                    return SetEndpoint(c, "JAEGER_HOST", "http://" + host + ":4318/v1/traces");
                  }));
  s.push_back(Row("JAEGER_PORT",
                  "The guide's Jaeger agent port (Thrift/UDP, 6831): validated, not used (there "
                  "is no Thrift transport; see JAEGER_HOST).",
                  [](Config&, std::string_view v) {
                    uint16_t port = 0;
                    return ParseUnsigned<uint16_t>(v, 1, 65535, port);
                  }));
  s.push_back(Row("OTEL_EXPORTER_JAEGER_ENDPOINT",
                  "Jaeger collector URL http://H:14268/api/traces: mapped onto "
                  "http://H:4318/v1/traces; wins over JAEGER_HOST.",
                  [](Config& c, std::string_view v) {
                    auto host = HostOfUrl(v);
                    if (!host.ok()) return host.status();
                    return SetEndpoint(c, "OTEL_EXPORTER_JAEGER_ENDPOINT",
                                       "http://" + *host + ":4318/v1/traces");
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_ENDPOINT",
                  "OTLP/HTTP base URL (http only); traces go to <base>/v1/traces. Wins over the "
                  "Jaeger variables. Default: traces to http://localhost:4318/v1/traces.",
                  [](Config& c, std::string_view v) {
                    std::string base(Trim(v));
                    while (!base.empty() && base.back() == '/') base.pop_back();
                    return SetEndpoint(c, "OTEL_EXPORTER_OTLP_ENDPOINT", base + "/v1/traces");
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                  "Full OTLP/HTTP traces URL (http only), used as is; wins over every other "
                  "endpoint variable.",
                  [](Config& c, std::string_view v) {
                    return SetEndpoint(c, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                       std::string(Trim(v)));
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf (default) or http/json.",
                  [](Config& c, std::string_view v) {
                    return ParseProtocol(v, c.tracing.exporter.protocol);
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                  "As OTEL_EXPORTER_OTLP_PROTOCOL, for traces; wins over it.",
                  [](Config& c, std::string_view v) {
                    return ParseProtocol(v, c.tracing.exporter.protocol);
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_HEADERS",
                  "Headers of every export request: k1=v1,k2=v2 (%-escapes allowed).",
                  [](Config& c, std::string_view v) {
                    return MergeHeaders(v, c.tracing.exporter.headers);
                  },
                  nullptr, true));
  s.push_back(Row("OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                  "As OTEL_EXPORTER_OTLP_HEADERS, for traces; a header named in both takes "
                  "this value.",
                  [](Config& c, std::string_view v) {
                    return MergeHeaders(v, c.tracing.exporter.headers);
                  },
                  nullptr, true));
  s.push_back(Row("OTEL_EXPORTER_OTLP_TIMEOUT",
                  "Timeout of one export request (ms; default 10000, at most "
                  "OTEL_BSP_EXPORT_TIMEOUT).",
                  [](Config& c, std::string_view v) {
                    return ParseMillis(v, 1, 600'000, c.tracing.exporter.timeout);
                  }));
  s.push_back(Row("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                  "As OTEL_EXPORTER_OTLP_TIMEOUT, for traces; wins over it.",
                  [](Config& c, std::string_view v) {
                    return ParseMillis(v, 1, 600'000, c.tracing.exporter.timeout);
                  }));
  // Service name, lowest precedence first (default astra-guard).
  s.push_back(Row("SERVICE_NAME", "Service name in traces and logs (default astra-guard).",
                  SetServiceName));
  s.push_back(Row("OTEL_RESOURCE_ATTRIBUTES",
                  "Resource attributes of every span: k1=v1,k2=v2 (%-escapes allowed); "
                  "service.name here wins over SERVICE_NAME.",
                  [](Config& c, std::string_view v) {
                    auto kv = ParseKeyValueList(v);
                    if (!kv.ok()) return kv.status();
                    for (auto& [k, val] : *kv) c.tracing.resource.attributes.Set(k, val);
                    return Status::Ok();
                  }));
  s.push_back(Row("OTEL_SERVICE_NAME",
                  "Service name in traces and logs; wins over OTEL_RESOURCE_ATTRIBUTES and "
                  "SERVICE_NAME.",
                  SetServiceName));
}

Status FinishTracing(Config& c, bool production) {
  obs::TracingConfig& t = c.tracing;
  if (t.endpoint_source.empty()) t.endpoint_source = "default";
  t.warn_unreachable = production;
  if (t.batch.max_export_batch_size > t.batch.max_queue_size) {
    return Invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not exceed OTEL_BSP_MAX_QUEUE_SIZE");
  }
  t.exporter.timeout = std::min(t.exporter.timeout, t.batch.export_timeout);
  obs::AttributeList& r = t.resource.attributes;
  auto set_default = [&r](std::string_view key, std::string_view value) {
    if (!r.Find(key)) r.Set(key, value);
  };
  set_default("service.name", "astra-guard");
  set_default("service.version", c.version);
  set_default("deployment.environment.name", c.environment);
  set_default("telemetry.sdk.name", "astraguard");
  set_default("telemetry.sdk.language", "cpp");
  c.log.service = std::string(std::get<std::string_view>(*r.Find("service.name")));
  return Status::Ok();
}

}  // namespace astraguard::config::detail
