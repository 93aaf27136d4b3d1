#include "astraguard/obs/spans.hpp"

#include <string>

namespace astraguard::obs {

Span StartDetectionSpan(Tracer& tracer, std::int64_t data_size, std::string_view model_name,
                        std::chrono::steady_clock::time_point start) {
  Span span = tracer.StartSpan("anomaly_detection", SpanKind::kInternal, start);
  span.AddAttribute(StaticKey("data.size"), data_size);  // a fresh span: keys are distinct
  span.AddAttribute(StaticKey("model"), model_name);
  return span;
}

Span StartRedisSpan(Tracer& tracer, std::string_view command, std::string_view server_address,
                    int server_port) {
  std::string name = "redis ";
  name.append(command);
  Span span = tracer.StartSpan(name, SpanKind::kClient);
  span.SetAttribute(StaticKey("db.system.name"), std::string_view("redis"));
  span.SetAttribute(StaticKey("db.operation.name"), command);
  if (!server_address.empty()) span.SetAttribute(StaticKey("server.address"), server_address);
  if (server_port > 0) span.SetAttribute(StaticKey("server.port"), server_port);
  return span;
}

Span StartRecoverySpan(Tracer& tracer, std::string_view action, std::string_view reason) {
  std::string name = "recovery ";
  name.append(action);
  Span span = tracer.StartSpan(name, SpanKind::kInternal);
  span.SetAttribute(StaticKey("recovery.action"), action);
  if (!reason.empty()) span.SetAttribute(StaticKey("recovery.reason"), reason);
  return span;
}

}  // namespace astraguard::obs
