#include "astraguard/obs/metrics.hpp"

#include <dirent.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <sstream>

namespace astraguard::obs {
namespace {

const prometheus::Histogram::BucketBoundaries& SizeBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {64,    256,   1024,   4096,
                                                            16384, 65536, 262144, 1048576};
  return b;
}

prometheus::MetricFamily Single(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

// Reads the process's own CPU time, memory and file descriptors at scrape time, with the
// standard process_* names.
class ProcessCollector final : public prometheus::Collectable {
 public:
  ProcessCollector() {
    start_time_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised command name: state is field 3; utime 14, stime 15,
    // vsize 23, rss 24 (1-based, man proc).
    size_t close = content.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(content.substr(close + 2));
      std::vector<std::string> f;
      std::string tok;
      while (rest >> tok) f.push_back(tok);
      if (f.size() > 21) {
        double utime = std::stod(f[11]), stime = std::stod(f[12]);
        out.push_back(Single("process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.",
                             MetricType::Counter, (utime + stime) / ticks));
        out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             MetricType::Gauge, std::stod(f[20])));
        out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                             MetricType::Gauge, std::stod(f[21]) * page));
      }
    }
    double fds = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] != '.') ++fds;
      }
      closedir(d);
      fds -= 1;  // the directory stream itself
    }
    out.push_back(
        Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(sysconf(_SC_OPEN_MAX))));
    out.push_back(Single("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, start_time_));
    return out;
  }

 private:
  double start_time_;
};

struct Callback {
  std::string name;
  std::string help;
  prometheus::MetricType type;
  std::function<double()> read;
};

// Families whose value is read from their owner at scrape time.
class CallbackCollector final : public prometheus::Collectable {
 public:
  void Add(Callback cb) {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks_.push_back(std::move(cb));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<prometheus::MetricFamily> out;
    for (const auto& cb : callbacks_) out.push_back(Single(cb.name, cb.help, cb.type, cb.read()));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Callback> callbacks_;
};

const prometheus::Histogram::BucketBoundaries& RetryBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                                            0.5,   1,     2.5,  5,    10,  30};
  return b;
}

const prometheus::Histogram::BucketBoundaries& RecoveryBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.1, 0.5, 1, 5, 10, 30, 60, 120, 300};
  return b;
}

const prometheus::Histogram::BucketBoundaries& ResolutionBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.01, 0.1, 1,   5,   10,
                                                            30,   60,  300, 900, 3600};
  return b;
}

}  // namespace

std::string_view SeverityLabel(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "low";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "low") return Severity::kLow;
  if (l == "medium") return Severity::kMedium;
  if (l == "high") return Severity::kHigh;
  if (l == "critical") return Severity::kCritical;
  return std::nullopt;
}

std::string_view BreakerStateLabel(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

void BreakerMetrics::Transition(BreakerState from, BreakerState to) {
  state_->Set(static_cast<double>(to));
  if (auto* c = transitions_[static_cast<int>(from)][static_cast<int>(to)]) c->Increment();
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
  return b;
}

void RouteMetrics::Observe(int status, double seconds, size_t request_bytes,
                           size_t response_bytes) {
  size_t i = 0;
  while (i < kStatuses.size() && kStatuses[i] != status) ++i;
  requests_[i]->Increment();
  if (status >= 500) {
    (status == 503   ? error_unavailable_
     : status == 504 ? error_timeout_
                     : error_internal_)
        ->Increment();
  }
  duration_->Observe(seconds);
  request_size_->Observe(static_cast<double>(request_bytes));
  response_size_->Observe(static_cast<double>(response_bytes));
}

Metrics::Metrics(const MetricsConfig& config)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  requests_total_ = &BuildCounter()
                         .Name("astra_http_requests_total")
                         .Help("HTTP requests by method, route template and status code.")
                         .Register(*registry_);
  request_duration_ = &BuildHistogram()
                           .Name("astra_http_request_duration_seconds")
                           .Help("HTTP request duration in seconds by route template.")
                           .Register(*registry_);
  request_size_ = &BuildHistogram()
                       .Name("astra_http_request_size_bytes")
                       .Help("HTTP request body size in bytes by route template.")
                       .Register(*registry_);
  response_size_ = &BuildHistogram()
                        .Name("astra_http_response_size_bytes")
                        .Help("HTTP response body size in bytes by route template.")
                        .Register(*registry_);
  active_connections_ = &BuildGauge()
                             .Name("astra_active_connections")
                             .Help("Open HTTP connections on all listeners.")
                             .Register(*registry_)
                             .Add({});
  errors_total_ = &BuildCounter()
                       .Name("astra_errors_total")
                       .Help("Application errors by type and route template or operation.")
                       .Register(*registry_);
  error_resolution_ = &BuildHistogram()
                           .Name("astra_error_resolution_time_seconds")
                           .Help("Time from the first error of a kind until service recovered.")
                           .Register(*registry_);
  breaker_state_ = &BuildGauge()
                        .Name("astra_circuit_breaker_state")
                        .Help("Circuit breaker state (0=CLOSED, 1=OPEN, 2=HALF_OPEN).")
                        .Register(*registry_);
  breaker_transitions_ = &BuildCounter()
                              .Name("astra_circuit_breaker_transitions_total")
                              .Help("Circuit breaker state transitions.")
                              .Register(*registry_);
  retry_attempts_ = &BuildCounter()
                         .Name("astra_retry_attempts_total")
                         .Help("Retry decisions by endpoint and outcome.")
                         .Register(*registry_);
  retry_latency_ = &BuildHistogram()
                        .Name("astra_retry_latency_seconds")
                        .Help("Latency added by retry logic per call, in seconds.")
                        .Register(*registry_);
  chaos_injections_ = &BuildCounter()
                           .Name("astra_chaos_injections_total")
                           .Help("Chaos experiment injections by fault type and status.")
                           .Register(*registry_);
  chaos_recovery_ = &BuildHistogram()
                         .Name("astra_chaos_recovery_time_seconds")
                         .Help("Time to recover from a chaos injection, in seconds.")
                         .Register(*registry_);
  recovery_actions_ = &BuildCounter()
                           .Name("astra_recovery_actions_total")
                           .Help("Recovery actions executed by type and status.")
                           .Register(*registry_);
  health_check_failures_ = &BuildCounter()
                                .Name("astra_health_check_failures_total")
                                .Help("Failed health checks by dependency.")
                                .Register(*registry_);
  false_positives_ = &BuildCounter()
                          .Name("astra_false_positives_total")
                          .Help("Detections later marked as false positives, by detector.")
                          .Register(*registry_);
  store_hits_ = &BuildCounter()
                     .Name("astra_memory_engine_hits_total")
                     .Help("Memory engine lookups that found an entry.")
                     .Register(*registry_);
  store_misses_ = &BuildCounter()
                       .Name("astra_memory_engine_misses_total")
                       .Help("Memory engine lookups that found nothing.")
                       .Register(*registry_);
  store_size_ = &BuildGauge()
                     .Name("astra_memory_engine_size_bytes")
                     .Help("Memory engine storage size in bytes.")
                     .Register(*registry_);
  detection_.latency_ = &BuildHistogram()
                             .Name("astra_detection_latency_seconds")
                             .Help("Anomaly detection latency per record, in seconds.")
                             .Register(*registry_)
                             .Add({}, LatencyBuckets());
  auto& anomalies = BuildCounter()
                        .Name("astra_anomalies_detected_total")
                        .Help("Anomalies detected by severity.")
                        .Register(*registry_);
  for (Severity sv : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    detection_.anomalies_[static_cast<int>(sv)] =
        &anomalies.Add({{"severity", std::string(SeverityLabel(sv))}});
  }
  detection_.accuracy_ = &BuildGauge()
                              .Name("astra_detection_accuracy")
                              .Help("Detection accuracy (0-1) from the latest labelled evaluation.")
                              .Register(*registry_)
                              .Add({});
  BuildGauge()
      .Name("astra_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", config.version}, {"environment", config.environment}})
      .Set(1);
  process_collector_ = std::make_shared<ProcessCollector>();
  callback_collector_ = std::make_shared<CallbackCollector>();
}

Metrics::~Metrics() = default;

RouteMetrics& Metrics::ForRoute(std::string_view method, std::string_view route) {
  auto rm = std::make_unique<RouteMetrics>();
  const std::string m(method), r(route);
  for (size_t i = 0; i < RouteMetrics::kStatuses.size(); ++i) {
    rm->requests_[i] = &requests_total_->Add(
        {{"method", m}, {"endpoint", r}, {"status", std::to_string(RouteMetrics::kStatuses[i])}});
  }
  rm->requests_.back() =
      &requests_total_->Add({{"method", m}, {"endpoint", r}, {"status", "other"}});
  rm->duration_ = &request_duration_->Add({{"endpoint", r}}, LatencyBuckets());
  rm->request_size_ = &request_size_->Add({{"endpoint", r}}, SizeBuckets());
  rm->response_size_ = &response_size_->Add({{"endpoint", r}}, SizeBuckets());
  rm->error_internal_ = &errors_total_->Add({{"type", "internal"}, {"endpoint", r}});
  rm->error_unavailable_ = &errors_total_->Add({{"type", "unavailable"}, {"endpoint", r}});
  rm->error_timeout_ = &errors_total_->Add({{"type", "timeout"}, {"endpoint", r}});
  std::lock_guard<std::mutex> lock(mu_);
  routes_.push_back(std::move(rm));
  return *routes_.back();
}

BreakerMetrics& Metrics::ForBreaker(std::string_view name) {
  auto bm = std::make_unique<BreakerMetrics>();
  const std::string n(name);
  bm->state_ = &breaker_state_->Add({{"name", n}});
  for (int f = 0; f < 3; ++f) {
    for (int t = 0; t < 3; ++t) {
      if (f == t) continue;
      bm->transitions_[f][t] = &breaker_transitions_->Add(
          {{"name", n},
           {"from_state", std::string(BreakerStateLabel(static_cast<BreakerState>(f)))},
           {"to_state", std::string(BreakerStateLabel(static_cast<BreakerState>(t)))}});
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  breakers_.push_back(std::move(bm));
  return *breakers_.back();
}

RetryMetrics& Metrics::ForRetry(std::string_view endpoint) {
  auto rm = std::make_unique<RetryMetrics>();
  const std::string e(endpoint);
  const char* outcomes[] = {"success", "retry", "exhausted", "failure"};
  for (int i = 0; i < 4; ++i)
    rm->outcomes_[i] = &retry_attempts_->Add({{"endpoint", e}, {"outcome", outcomes[i]}});
  rm->latency_ = &retry_latency_->Add({{"endpoint", e}}, RetryBuckets());
  std::lock_guard<std::mutex> lock(mu_);
  retries_.push_back(std::move(rm));
  return *retries_.back();
}

ChaosMetrics& Metrics::ForChaos(std::string_view type) {
  auto cm = std::make_unique<ChaosMetrics>();
  const std::string t(type);
  cm->success_ = &chaos_injections_->Add({{"type", t}, {"status", "success"}});
  cm->failed_ = &chaos_injections_->Add({{"type", t}, {"status", "failed"}});
  cm->recovery_ = &chaos_recovery_->Add({{"type", t}}, RecoveryBuckets());
  std::lock_guard<std::mutex> lock(mu_);
  chaos_.push_back(std::move(cm));
  return *chaos_.back();
}

RecoveryMetrics& Metrics::ForRecovery(std::string_view type) {
  auto rm = std::make_unique<RecoveryMetrics>();
  const std::string t(type);
  const char* statuses[] = {"success", "failure", "skipped"};
  for (int i = 0; i < 3; ++i)
    rm->status_[i] = &recovery_actions_->Add({{"type", t}, {"status", statuses[i]}});
  std::lock_guard<std::mutex> lock(mu_);
  recoveries_.push_back(std::move(rm));
  return *recoveries_.back();
}

StoreMetrics& Metrics::ForStore(std::string_view store_type) {
  auto sm = std::make_unique<StoreMetrics>();
  const std::string t(store_type);
  sm->hits_ = &store_hits_->Add({{"store_type", t}});
  sm->misses_ = &store_misses_->Add({{"store_type", t}});
  sm->size_ = &store_size_->Add({{"store_type", t}});
  std::lock_guard<std::mutex> lock(mu_);
  stores_.push_back(std::move(sm));
  return *stores_.back();
}

prometheus::Counter& Metrics::HealthCheckFailures(std::string_view service) {
  return health_check_failures_->Add({{"service", std::string(service)}});
}

prometheus::Counter& Metrics::FalsePositives(std::string_view detector) {
  return false_positives_->Add({{"detector", std::string(detector)}});
}

prometheus::Counter& Metrics::Errors(std::string_view type, std::string_view endpoint) {
  return errors_total_->Add({{"type", std::string(type)}, {"endpoint", std::string(endpoint)}});
}

prometheus::Histogram& Metrics::ErrorResolution(std::string_view error_type) {
  return error_resolution_->Add({{"error_type", std::string(error_type)}}, ResolutionBuckets());
}

void Metrics::AddCallback(std::string name, std::string help, prometheus::MetricType type,
                          std::function<double()> read) {
  static_cast<CallbackCollector&>(*callback_collector_)
      .Add(Callback{std::move(name), std::move(help), type, std::move(read)});
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto* c : {process_collector_.get(), callback_collector_.get()}) {
    std::vector<prometheus::MetricFamily> more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace astraguard::obs

namespace astraguard::obs {

namespace {
std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                   static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
    i += 3;
  }
  if (i < in.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size())
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += i + 1 < in.size() ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}
}  // namespace

MetricsAuth::MetricsAuth(std::string_view user, std::string_view password) {
  if (user.empty()) return;
  std::string creds(user);
  creds += ':';
  creds.append(password);
  expected_ = "Basic " + Base64(creds);
}

bool MetricsAuth::Allows(std::string_view header) const {
  if (expected_.empty()) return true;
  // Constant time in the expected length: no early exit on the first differing byte.
  unsigned diff = header.size() == expected_.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected_.size(); ++i) {
    const char h = i < header.size() ? header[i] : '\0';
    diff |= static_cast<unsigned>(static_cast<unsigned char>(h ^ expected_[i]));
  }
  return diff == 0;
}

}  // namespace astraguard::obs
