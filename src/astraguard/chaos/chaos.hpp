#pragma once
// Chaos: time-boxed fault-injection experiments behind /api/v1/chaos.
//
// Each known fault sets its switch in resilience::FaultSwitches while it runs and clears it at
// its deadline (the timer thread ends it by itself) or on Clear:
//   redis_outage                      every Redis call fails     (needs REDIS_URL)
//   redis_latency   params.latency_ms added to every Redis call  (needs REDIS_URL)
//   model_failure                     detection runs without the learned model (degraded)
//   exporter_outage                   every OTLP export fails fast (the breaker opens)
//   request_latency params.latency_ms added to every API request
//   error_rate      params.rate       that fraction of API requests answered 503
// Body of an injection: {"duration_seconds": 1..3600, "params": {...}} (params optional when a
// fault takes none). Errors, each naming its field: malformed JSON 400; bad or missing duration,
// unknown or bad params, unknown top-level fields 422; unknown fault 404 listing the known
// ones; the fault already running 409; experiments disabled (ENVIRONMENT=production without
// ASTRAGUARD_ENABLE_CHAOS=true) 403; a Redis fault without a Redis configured 409.
//
// Metrics, every label set at zero from the start:
//   astra_chaos_injections_total{type,status}  status = started | stopped (Clear) | expired
//                                               (deadline) | rejected (403/409/422)
//   astra_chaos_recovery_time_seconds{type}     from the end of an experiment to the first
//                                               health pass with every component healthy
// (the health registry is asked for a pass as soon as an experiment ends).
//
// Thread-safety: all methods may be called concurrently. Lifetime: switches, health registry,
// clock and metrics registry must outlive this object; the destructor ends every experiment.

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/resilience/fault_switches.hpp"
#include "astraguard/resilience/health.hpp"

namespace astraguard::chaos {

enum class Fault {
  kRedisOutage,
  kRedisLatency,
  kModelFailure,
  kExporterOutage,
  kRequestLatency,
  kErrorRate
};
inline constexpr std::string_view kFaultNames[] = {"redis_outage",    "redis_latency",
                                                   "model_failure",   "exporter_outage",
                                                   "request_latency", "error_rate"};
inline constexpr std::size_t kFaultCount = std::size(kFaultNames);

inline constexpr std::int64_t kMaxDurationSeconds = 3600;
inline constexpr std::int64_t kMaxLatencyMs = 10'000;

struct ChaosOptions {
  bool enabled = true;            // false: every injection is refused with 403
  bool redis_configured = false;  // the redis_* faults need a Redis to disturb
};

class Chaos final {
 public:
  Chaos(const ChaosOptions& options, resilience::FaultSwitches& switches,
        resilience::HealthRegistry& health, const Clock& clock, prometheus::Registry& registry);
  ~Chaos();
  Chaos(const Chaos&) = delete;
  Chaos& operator=(const Chaos&) = delete;

  // Starts the timer thread that ends experiments at their deadlines.
  void Start();
  // Ends every running experiment and joins the timer thread.
  void Stop();

  // POST /api/v1/chaos/{fault}: the experiment as started.
  Result<boost::json::object> Inject(std::string_view fault, std::string_view body);
  // DELETE /api/v1/chaos/{fault}: the experiment as it ended.
  Result<boost::json::object> Clear(std::string_view fault);
  // GET /api/v1/chaos: whether experiments are enabled, the known faults, the running ones.
  boost::json::object List() const;

  // Ends the experiments whose deadline has passed (the timer thread calls it; tests too).
  void ExpireDue();

 private:
  struct Experiment {
    bool running = false;
    std::chrono::steady_clock::time_point deadline;
    double duration_seconds = 0;  // as given
    std::int64_t duration_ms = 0;
    std::int64_t started_unix_ms = 0;
    boost::json::object params;
    std::int64_t latency_ms = 0;
    double rate = 0;
  };
  struct Metrics {
    prometheus::Counter* started = nullptr;
    prometheus::Counter* stopped = nullptr;
    prometheus::Counter* expired = nullptr;
    prometheus::Counter* rejected = nullptr;
    prometheus::Histogram* recovery = nullptr;
  };

  Status Reject(Fault f, Status s);
  void SetSwitch(Fault f, const Experiment* e);  // null: clear
  // Ends `f` (mu_ held): clears its switch, counts `outcome`, starts its recovery clock.
  boost::json::object EndLocked(Fault f, prometheus::Counter& outcome);
  boost::json::object Describe(Fault f, const Experiment& e) const;
  void OnHealthCheck(bool all_ok);
  void Loop();

  const ChaosOptions options_;
  resilience::FaultSwitches& switches_;
  resilience::HealthRegistry& health_;
  const Clock& clock_;
  std::array<Metrics, kFaultCount> metrics_;

  mutable std::mutex mu_;
  std::array<Experiment, kFaultCount> experiments_;
  std::array<std::optional<std::chrono::steady_clock::time_point>, kFaultCount> recovering_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace astraguard::chaos
