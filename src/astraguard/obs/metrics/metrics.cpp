#include "astraguard/obs/metrics/metrics.hpp"

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

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
  return b;
}

std::size_t RouteMetrics::SlotOf(int status) {
  std::size_t i = 0;
  while (i < kStatuses.size() && kStatuses[i] != status) ++i;
  return i;
}

prometheus::Counter& RouteMetrics::Requests(std::size_t slot) {
  if (prometheus::Counter* c = requests_[slot].load(std::memory_order_acquire)) return *c;
  // First request with this status: Family::Add returns the one series of these labels even
  // when two threads get here at once, so both store the same pointer.
  prometheus::Counter* c = &requests_family_->Add(
      {{"method", method_},
       {"endpoint", route_},
       {"status", slot < kStatuses.size() ? std::to_string(kStatuses[slot]) : "other"}});
  requests_[slot].store(c, std::memory_order_release);
  return *c;
}

prometheus::Counter& RouteMetrics::Error(std::size_t kind) {
  if (prometheus::Counter* c = errors_[kind].load(std::memory_order_acquire)) return *c;
  static constexpr const char* kTypes[] = {"internal", "unavailable", "timeout"};
  prometheus::Counter* c = &errors_family_->Add({{"type", kTypes[kind]}, {"endpoint", route_}});
  errors_[kind].store(c, std::memory_order_release);
  return *c;
}

void RouteMetrics::Observe(int status, double seconds, size_t request_bytes,
                           size_t response_bytes) {
  Requests(SlotOf(status)).Increment();
  if (status >= 500) Error(status == 503 ? 1 : status == 504 ? 2 : 0).Increment();
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

RouteMetrics& Metrics::ForRoute(std::string_view method, std::string_view route,
                                std::initializer_list<int> statuses) {
  auto rm = std::make_unique<RouteMetrics>();
  rm->requests_family_ = requests_total_;
  rm->errors_family_ = errors_total_;
  rm->method_ = std::string(method);
  rm->route_ = std::string(route);
  for (int s : statuses) rm->Requests(RouteMetrics::SlotOf(s));
  rm->duration_ = &request_duration_->Add({{"endpoint", rm->route_}}, LatencyBuckets());
  rm->request_size_ = &request_size_->Add({{"endpoint", rm->route_}}, SizeBuckets());
  rm->response_size_ = &response_size_->Add({{"endpoint", rm->route_}}, SizeBuckets());
  std::lock_guard<std::mutex> lock(mu_);
  routes_.push_back(std::move(rm));
  return *routes_.back();
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
