#pragma once
// Instrumentation: the guide's "manual instrumentation" of custom C++ code, in one facade over
// the injected Metrics, Tracer and Logger:
//
//   // once, at start-up (label lookups happen here, never per call):
//   obs::Instrumentation instr(metrics, tracer, logger);
//   const obs::Operation op = instr.RegisterOperation("custom_operation");
//   // per call:
//   {
//     auto tracked = instr.Track(op);                 // span + astra_http_* for the operation
//     obs::ScopedSpan step(instr.tracer().StartSpan("custom_step"));  // a child span
//     instr.logger().Info("custom", "step_done", {{"items", 3}});     // carries trace ids
//     if (failed) tracked.SetFailed("boom");          // counts status 500 + Error span
//   }
//
// A tracked operation is counted in astra_http_requests_total{method="internal",
// endpoint=<operation>} and astra_http_request_duration_seconds{endpoint=<operation>}, like the
// prototype's track_request. See obs/example_instrumentation.cpp. Domain metrics, spans and log
// lines belong to the component that owns the concept (e.g. mission/detection_metrics.hpp).
// Thread-safety: all methods may be called concurrently; TrackedOperation and the spans belong
// to the calling thread and must not be held across a coroutine suspension point.
// Lifetime: metrics, tracer and logger must outlive the Instrumentation and every handle.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/obs/log/logger.hpp"
#include "astraguard/obs/metrics/metrics.hpp"
#include "astraguard/obs/trace/tracer.hpp"

namespace astraguard::obs {

// Pre-resolved handles of one named operation. Cheap to copy.
class Operation final {
 public:
  const std::string& name() const { return *name_; }

 private:
  friend class Instrumentation;
  friend class TrackedOperation;
  const std::string* name_ = nullptr;
  RouteMetrics* metrics_ = nullptr;
};

class [[nodiscard]] TrackedOperation final {
 public:
  ~TrackedOperation();
  TrackedOperation(const TrackedOperation&) = delete;
  TrackedOperation& operator=(const TrackedOperation&) = delete;

  // Marks the operation failed: counted with status 500, span status Error + exception event.
  void SetFailed(std::string_view message, std::string_view error_type = "error");
  Span& span() { return span_.span(); }

 private:
  friend class Instrumentation;
  TrackedOperation(const Operation& op, Span span);
  RouteMetrics* metrics_;
  ScopedSpan span_;
  std::chrono::steady_clock::time_point start_;
  int status_ = 200;
};

class Instrumentation final {
 public:
  Instrumentation(Metrics& metrics, Tracer& tracer, Logger& logger);

  // Resolves metric handles for `name` (bounded set: register at start-up, not per call).
  Operation RegisterOperation(std::string_view name);

  // Starts an INTERNAL span named after the operation (child of the current span) and makes it
  // current; on destruction records duration and status.
  TrackedOperation Track(const Operation& op);

  Metrics& metrics() { return metrics_; }
  Tracer& tracer() { return tracer_; }
  Logger& logger() { return logger_; }

 private:
  Metrics& metrics_;
  Tracer& tracer_;
  Logger& logger_;
  std::mutex mu_;
  std::vector<std::unique_ptr<std::string>> names_;  // stable storage for Operation::name_
};

}  // namespace astraguard::obs
