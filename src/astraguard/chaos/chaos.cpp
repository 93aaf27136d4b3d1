#include "astraguard/chaos/chaos.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "astraguard/ingest/json.hpp"
#include "astraguard/ingest/timestamp.hpp"

namespace astraguard::chaos {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

std::optional<Fault> FaultOf(std::string_view name) {
  for (std::size_t i = 0; i < kFaultCount; ++i)
    if (kFaultNames[i] == name) return static_cast<Fault>(i);
  return std::nullopt;
}

std::string KnownFaults() { return fmt::format("{}", fmt::join(kFaultNames, ", ")); }

Status UnknownFault(std::string_view name) {
  return Status::Error(Code::kNotFound,
                       fmt::format("unknown fault '{}'; known faults: {}", name, KnownFaults()),
                       {{"fault", fmt::format("must be one of {}", KnownFaults())}});
}

// The parameter a fault takes ("" for none).
std::string_view ParamOf(Fault f) {
  switch (f) {
    case Fault::kRedisLatency:
    case Fault::kRequestLatency: return "latency_ms";
    case Fault::kErrorRate: return "rate";
    default: return "";
  }
}

bool IsRedisFault(Fault f) { return f == Fault::kRedisOutage || f == Fault::kRedisLatency; }

std::optional<double> NumberOf(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

}  // namespace

Chaos::Chaos(const ChaosOptions& options, resilience::FaultSwitches& switches,
             resilience::HealthRegistry& health, const Clock& clock,
             prometheus::Registry& registry)
    : options_(options), switches_(switches), health_(health), clock_(clock) {
  auto& injections = prometheus::BuildCounter()
                         .Name("astra_chaos_injections_total")
                         .Help("Chaos experiments by fault type and status (started, stopped, "
                               "expired, rejected)")
                         .Register(registry);
  auto& recovery = prometheus::BuildHistogram()
                       .Name("astra_chaos_recovery_time_seconds")
                       .Help("Time from the end of a chaos experiment to every component healthy")
                       .Register(registry);
  for (std::size_t i = 0; i < kFaultCount; ++i) {
    const std::string type(kFaultNames[i]);
    metrics_[i].started = &injections.Add({{"type", type}, {"status", "started"}});
    metrics_[i].stopped = &injections.Add({{"type", type}, {"status", "stopped"}});
    metrics_[i].expired = &injections.Add({{"type", type}, {"status", "expired"}});
    metrics_[i].rejected = &injections.Add({{"type", type}, {"status", "rejected"}});
    metrics_[i].recovery = &recovery.Add(
        {{"type", type}},
        prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600});
  }
  health_.OnCheck([this](bool all_ok) { OnHealthCheck(all_ok); });
}

Chaos::~Chaos() { Stop(); }

void Chaos::Start() { thread_ = std::thread([this] { Loop(); }); }

void Chaos::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < kFaultCount; ++i)
    if (experiments_[i].running) EndLocked(static_cast<Fault>(i), *metrics_[i].stopped);
}

void Chaos::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto wait = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::seconds(1));
    const auto now = clock_.Now();
    for (const auto& e : experiments_)
      if (e.running) wait = std::min(wait, std::max(SteadyClock::duration::zero(), e.deadline - now));
    wake_.wait_for(lock, wait);
    if (stop_) break;
    lock.unlock();
    ExpireDue();
    lock.lock();
  }
}

void Chaos::ExpireDue() {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  for (std::size_t i = 0; i < kFaultCount; ++i)
    if (experiments_[i].running && experiments_[i].deadline <= now)
      EndLocked(static_cast<Fault>(i), *metrics_[i].expired);
}

Status Chaos::Reject(Fault f, Status s) {
  metrics_[static_cast<int>(f)].rejected->Increment();
  return s;
}

void Chaos::SetSwitch(Fault f, const Experiment* e) {
  const bool on = e != nullptr;
  switch (f) {
    case Fault::kRedisOutage: switches_.redis_outage.store(on); break;
    case Fault::kRedisLatency: switches_.redis_latency_ms.store(on ? e->latency_ms : 0); break;
    case Fault::kModelFailure: switches_.model_failure.store(on); break;
    case Fault::kExporterOutage: switches_.exporter_outage.store(on); break;
    case Fault::kRequestLatency:
      switches_.request_latency_ms.store(on ? e->latency_ms : 0);
      break;
    case Fault::kErrorRate: switches_.error_rate.store(on ? e->rate : 0.0); break;
  }
}

json::object Chaos::Describe(Fault f, const Experiment& e) const {
  const auto remaining = std::max(SteadyClock::duration::zero(), e.deadline - clock_.Now());
  json::object o;
  o["fault"] = kFaultNames[static_cast<int>(f)];
  o["params"] = e.params;
  o["duration_seconds"] = e.duration_seconds;
  o["started_at"] = ingest::FormatRfc3339Millis(e.started_unix_ms);
  o["ends_at"] = ingest::FormatRfc3339Millis(e.started_unix_ms + e.duration_ms);
  o["remaining_seconds"] = std::chrono::duration<double>(remaining).count();
  return o;
}

json::object Chaos::EndLocked(Fault f, prometheus::Counter& outcome) {
  Experiment& e = experiments_[static_cast<int>(f)];
  json::object o = Describe(f, e);
  e.running = false;
  SetSwitch(f, nullptr);
  outcome.Increment();
  recovering_[static_cast<int>(f)] = clock_.Now();
  health_.RequestCheck();
  o["ended_at"] = ingest::FormatRfc3339Millis(UnixMillis(clock_.WallNow()));
  return o;
}

void Chaos::OnHealthCheck(bool all_ok) {
  if (!all_ok) return;
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  for (std::size_t i = 0; i < kFaultCount; ++i) {
    if (!recovering_[i]) continue;
    metrics_[i].recovery->Observe(std::chrono::duration<double>(now - *recovering_[i]).count());
    recovering_[i].reset();
  }
}

Result<json::object> Chaos::Inject(std::string_view name, std::string_view body) {
  const auto fault = FaultOf(name);
  if (!options_.enabled) {
    Status s = Status::Error(Code::kPermissionDenied,
                             "chaos experiments are disabled when ENVIRONMENT=production; set "
                             "ASTRAGUARD_ENABLE_CHAOS=true to allow them");
    return fault ? Reject(*fault, std::move(s)) : s;
  }
  if (!fault) return UnknownFault(name);
  const Fault f = *fault;
  auto parsed = ingest::ParseStrict(body);
  if (!parsed.ok()) return Reject(f, parsed.status());
  if (!parsed->is_object())
    return Reject(f, Status::Error(Code::kValidation, "the body must be a JSON object",
                                   {{"body", "must be a JSON object"}}));
  const json::object& o = parsed->as_object();
  std::vector<FieldError> errors;
  Experiment e;
  double duration = 0;
  const std::string_view param = ParamOf(f);
  bool param_seen = false;  // given (valid or not), or `params` itself was not an object
  for (const auto& [key, value] : o) {
    if (key == "duration_seconds") {
      const auto d = NumberOf(value);
      if (!d || !std::isfinite(*d) || *d <= 0 || *d > static_cast<double>(kMaxDurationSeconds)) {
        errors.push_back({"duration_seconds",
                          fmt::format("must be a number of seconds in (0, {}]",
                                      kMaxDurationSeconds)});
      } else {
        duration = *d;
      }
    } else if (key == "params") {
      if (!value.is_object()) {
        errors.push_back({"params", "must be an object"});
        param_seen = true;
        continue;
      }
      for (const auto& [pk, pv] : value.as_object()) {
        const std::string field = std::string("params.").append(pk);
        if (param.empty() || pk != param) {
          errors.push_back({field, param.empty()
                                       ? fmt::format("unknown parameter: {} takes none", name)
                                       : fmt::format("unknown parameter: {} takes {}", name,
                                                     param)});
          continue;
        }
        param_seen = true;
        const auto v = NumberOf(pv);
        if (param == "latency_ms") {
          if (!v || *v != std::floor(*v) || *v < 1 || *v > static_cast<double>(kMaxLatencyMs)) {
            errors.push_back({field, fmt::format("must be an integer in [1, {}]", kMaxLatencyMs)});
          } else {
            e.latency_ms = static_cast<std::int64_t>(*v);
          }
        } else if (!v || !(*v > 0 && *v <= 1)) {  // rate
          errors.push_back({field, "must be a number in (0, 1]"});
        } else {
          e.rate = *v;
        }
      }
    } else {
      errors.push_back({std::string(key), "unknown field"});
    }
  }
  if (!o.contains("duration_seconds")) errors.push_back({"duration_seconds", "required"});
  if (!param.empty() && !param_seen)
    errors.push_back({std::string("params.").append(param), "required"});
  if (!errors.empty()) {
    const std::string detail =
        fmt::format("invalid chaos experiment: {} ({})", errors.front().field,
                    errors.front().message);
    return Reject(f, Status::Error(Code::kValidation, detail, std::move(errors)));
  }
  if (IsRedisFault(f) && !options_.redis_configured)
    return Reject(f, Status::Error(Code::kConflict,
                                   fmt::format("{} needs a Redis to disturb; REDIS_URL is unset",
                                               name),
                                   {{"fault", "needs REDIS_URL"}}));
  if (o.contains("params")) e.params = o.at("params").as_object();
  e.duration_seconds = duration;
  e.duration_ms = std::max<std::int64_t>(1, std::llround(duration * 1000));
  std::lock_guard lock(mu_);
  Experiment& slot = experiments_[static_cast<int>(f)];
  if (slot.running)
    return Reject(f, Status::Error(Code::kConflict,
                                   fmt::format("{} is already running; DELETE it first", name),
                                   {{"fault", "already running"}}));
  e.running = true;
  e.deadline = clock_.Now() + std::chrono::milliseconds(e.duration_ms);
  e.started_unix_ms = UnixMillis(clock_.WallNow());
  slot = std::move(e);
  SetSwitch(f, &slot);
  recovering_[static_cast<int>(f)].reset();
  metrics_[static_cast<int>(f)].started->Increment();
  wake_.notify_all();
  return Describe(f, slot);
}

Result<json::object> Chaos::Clear(std::string_view name) {
  const auto fault = FaultOf(name);
  if (!options_.enabled)
    return Status::Error(Code::kPermissionDenied,
                         "chaos experiments are disabled when ENVIRONMENT=production; set "
                         "ASTRAGUARD_ENABLE_CHAOS=true to allow them");
  if (!fault) return UnknownFault(name);
  std::lock_guard lock(mu_);
  const int i = static_cast<int>(*fault);
  if (!experiments_[i].running)
    return Status::Error(Code::kNotFound, fmt::format("no {} experiment is running", name),
                         {{"fault", "not running"}});
  return EndLocked(*fault, *metrics_[i].stopped);
}

json::object Chaos::List() const {
  json::array known;
  for (auto n : kFaultNames) known.emplace_back(n);
  json::array running;
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < kFaultCount; ++i)
    if (experiments_[i].running) running.push_back(Describe(static_cast<Fault>(i), experiments_[i]));
  json::object o;
  o["enabled"] = options_.enabled;
  o["known_faults"] = std::move(known);
  o["experiments"] = std::move(running);
  return o;
}

}  // namespace astraguard::chaos
