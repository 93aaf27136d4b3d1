#pragma once
// HealthRegistry: the health of each dependency, probed on an interval by one checker thread.
//
// A dependency registers a named Probe (a cheap callable returning its state and, when not ok,
// why). The checker runs every probe once per interval (and once at Start, and early on
// RequestCheck), keeps for each component its state, last error and since when (Unix ms) that
// state holds, and feeds, resolved once per registered name:
//   astra_health_check_failures_total{service}       counter    probes that were not ok
//   astra_error_resolution_time_seconds{error_type}  histogram  first failed probe -> ok again
//                                                                (error_type = component name)
// Listeners added with OnCheck hear after each pass whether every component was ok (chaos/
// measures recovery time with it).
//
// States print as "healthy", "degraded", "unhealthy", the words GET /health has always used.
// Thread-safety: Register and OnCheck before Start only; Snapshot, RequestCheck and CheckNow
// may be called from any thread (passes are serialised; probes never run concurrently with
// each other). Probes and listeners run on the checker thread (or CheckNow's caller) and must
// not block for long. Lifetime: clock, registry and whatever probes capture must outlive this
// object; Stop (or the destructor) joins the thread promptly, without waiting an interval.

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "astraguard/common/clock.hpp"

namespace astraguard::resilience {

enum class HealthState { kOk = 0, kDegraded = 1, kDown = 2 };
std::string_view HealthStateName(HealthState s);  // "healthy", "degraded", "unhealthy"

struct ProbeResult {
  HealthState state = HealthState::kOk;
  std::string error;  // why, when not ok
};
using Probe = std::function<ProbeResult()>;

struct ComponentHealth {
  std::string name;
  HealthState state = HealthState::kOk;
  std::string last_error;       // the last error any probe of it reported ("" if none yet)
  std::int64_t since_unix_ms = 0;  // when the current state began
};

struct HealthCheckerOptions {
  std::chrono::milliseconds interval{5000};  // between two passes (ms)
};

class HealthRegistry final {
 public:
  HealthRegistry(const HealthCheckerOptions& options, const Clock& clock,
                 prometheus::Registry& registry);
  ~HealthRegistry();
  HealthRegistry(const HealthRegistry&) = delete;
  HealthRegistry& operator=(const HealthRegistry&) = delete;

  void Register(std::string name, Probe probe);
  void OnCheck(std::function<void(bool all_ok)> listener);

  // Runs one pass now, then the checker thread every interval.
  void Start();
  void Stop();
  // Asks the checker thread for a pass now (returns at once).
  void RequestCheck();
  // One pass on the calling thread: probes everything, updates states and metrics, tells the
  // listeners. Returns whether every component was ok.
  bool CheckNow();

  // The state of every registered component as of the last pass, in registration order.
  std::vector<ComponentHealth> Snapshot() const;

 private:
  struct Entry {
    std::string name;
    Probe probe;
    prometheus::Counter* failures = nullptr;
    prometheus::Histogram* resolution = nullptr;
    ComponentHealth health;
    std::chrono::steady_clock::time_point first_failure{};
  };
  void Loop();

  const HealthCheckerOptions options_;
  const Clock& clock_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Histogram>& resolution_;
  std::vector<std::function<void(bool)>> listeners_;

  std::mutex pass_mu_;           // serialises passes
  mutable std::mutex state_mu_;  // guards entries_[i].health
  std::vector<Entry> entries_;

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool check_requested_ = false;
  std::thread thread_;
};

}  // namespace astraguard::resilience
