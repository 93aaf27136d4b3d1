#pragma once
// Named child spans for the service's own work, so every component opens them the same way
// (names and attribute keys are part of what dashboards and trace searches rely on).
// Each returns a Span that is a child of the thread's current span; wrap it in ScopedSpan to
// make it current. Thread-safety: as Tracer. Lifetime: the Tracer must outlive the spans.

#include <cstdint>
#include <string_view>

#include "astraguard/obs/tracer.hpp"

namespace astraguard::obs {

// The guide's span_anomaly_detection: "anomaly_detection" (INTERNAL) with data.size and model.
// `start`: as Tracer::StartSpan.
Span StartDetectionSpan(Tracer& tracer, std::int64_t data_size, std::string_view model_name,
                        std::chrono::steady_clock::time_point start = {});

// A Redis command: "redis <COMMAND>" (CLIENT) with db.system.name=redis, db.operation.name,
// server.address/server.port. Never put keys or values in it (cardinality, secrets).
Span StartRedisSpan(Tracer& tracer, std::string_view command, std::string_view server_address,
                    int server_port);

// A recovery action: "recovery <action>" (INTERNAL) with recovery.action and recovery.reason.
Span StartRecoverySpan(Tracer& tracer, std::string_view action, std::string_view reason);

}  // namespace astraguard::obs
