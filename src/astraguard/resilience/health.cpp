#include "astraguard/resilience/health.hpp"

#include <utility>

namespace astraguard::resilience {

std::string_view HealthStateName(HealthState s) {
  switch (s) {
    case HealthState::kOk: return "healthy";
    case HealthState::kDegraded: return "degraded";
    case HealthState::kDown: return "unhealthy";
  }
  return "unhealthy";
}

HealthRegistry::HealthRegistry(const HealthCheckerOptions& options, const Clock& clock,
                               prometheus::Registry& registry)
    : options_(options),
      clock_(clock),
      failures_(prometheus::BuildCounter()
                    .Name("astra_health_check_failures_total")
                    .Help("Health probes that found a dependency not healthy, by service")
                    .Register(registry)),
      resolution_(prometheus::BuildHistogram()
                      .Name("astra_error_resolution_time_seconds")
                      .Help("Time from a dependency's first failed health probe to healthy again")
                      .Register(registry)) {}

HealthRegistry::~HealthRegistry() { Stop(); }

void HealthRegistry::Register(std::string name, Probe probe) {
  Entry e;
  e.failures = &failures_.Add({{"service", name}});
  e.resolution = &resolution_.Add(
      {{"error_type", name}},
      prometheus::Histogram::BucketBoundaries{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
                                              3600});
  e.health.name = name;
  e.health.since_unix_ms = UnixMillis(clock_.WallNow());
  e.name = std::move(name);
  e.probe = std::move(probe);
  std::lock_guard lock(state_mu_);
  entries_.push_back(std::move(e));
}

void HealthRegistry::OnCheck(std::function<void(bool all_ok)> listener) {
  listeners_.push_back(std::move(listener));
}

void HealthRegistry::Start() {
  CheckNow();
  thread_ = std::thread([this] { Loop(); });
}

void HealthRegistry::Stop() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthRegistry::RequestCheck() {
  {
    std::lock_guard lock(wake_mu_);
    check_requested_ = true;
  }
  wake_.notify_all();
}

void HealthRegistry::Loop() {
  std::unique_lock lock(wake_mu_);
  while (!stop_) {
    wake_.wait_for(lock, options_.interval, [this] { return stop_ || check_requested_; });
    if (stop_) break;
    check_requested_ = false;
    lock.unlock();
    CheckNow();
    lock.lock();
  }
}

bool HealthRegistry::CheckNow() {
  std::lock_guard pass(pass_mu_);
  bool all_ok = true;
  // entries_ only grows before Start; probes run without state_mu_ held.
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    ProbeResult r = e.probe();
    const auto now = clock_.Now();
    std::lock_guard lock(state_mu_);
    ComponentHealth& h = e.health;
    if (r.state != HealthState::kOk) {
      all_ok = false;
      e.failures->Increment();
      if (h.state == HealthState::kOk) e.first_failure = now;
      if (!r.error.empty()) h.last_error = std::move(r.error);
    } else if (h.state != HealthState::kOk) {
      e.resolution->Observe(std::chrono::duration<double>(now - e.first_failure).count());
    }
    if (r.state != h.state) {
      h.state = r.state;
      h.since_unix_ms = UnixMillis(clock_.WallNow());
    }
  }
  for (const auto& listener : listeners_) listener(all_ok);
  return all_ok;
}

std::vector<ComponentHealth> HealthRegistry::Snapshot() const {
  std::lock_guard lock(state_mu_);
  std::vector<ComponentHealth> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.health);
  return out;
}

}  // namespace astraguard::resilience
