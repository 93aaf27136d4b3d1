#pragma once
// FaultSwitches: the switches a chaos experiment flips and the components it disturbs read.
// chaos/ writes them; each reader holds a nullable `const FaultSwitches*` (null = no chaos wired)
// and loads the one field it cares about: no lookups, one relaxed atomic load on the hot path.
// Thread-safe: every field is an atomic. Lifetime: owned by the composition root (app/), which
// outlives every reader.

#include <atomic>
#include <cstdint>

namespace astraguard::resilience {

struct FaultSwitches {
  std::atomic<bool> redis_outage{false};         // every Redis call fails as unreachable
  std::atomic<std::int64_t> redis_latency_ms{0};  // added before every Redis call (ms)
  std::atomic<bool> model_failure{false};        // the learned model is treated as unusable
  std::atomic<bool> exporter_outage{false};      // every OTLP export fails fast
  std::atomic<std::int64_t> request_latency_ms{0};  // added to every API request (ms)
  std::atomic<double> error_rate{0.0};           // fraction of API requests answered 503 (0..1)
};

}  // namespace astraguard::resilience
