#include "astraguard/obs/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <dirent.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>

namespace astraguard::obs {
namespace {

const prometheus::Histogram::BucketBoundaries& SizeBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {64,    256,    1024,   4096,
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
    start_time_ = std::chrono::duration<double>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
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
    out.push_back(Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                         fds));
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

}  // namespace

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
  BuildGauge()
      .Name("astra_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", config.version}, {"environment", config.environment}})
      .Set(1);
  process_collector_ = std::make_shared<ProcessCollector>();
}

Metrics::~Metrics() = default;

RouteMetrics& Metrics::ForRoute(std::string_view method, std::string_view route) {
  auto rm = std::make_unique<RouteMetrics>();
  const std::string m(method), r(route);
  for (size_t i = 0; i < RouteMetrics::kStatuses.size(); ++i) {
    rm->requests_[i] = &requests_total_->Add(
        {{"method", m}, {"endpoint", r}, {"status", std::to_string(RouteMetrics::kStatuses[i])}});
  }
  rm->requests_.back() = &requests_total_->Add({{"method", m}, {"endpoint", r}, {"status", "other"}});
  rm->duration_ = &request_duration_->Add({{"endpoint", r}}, LatencyBuckets());
  rm->request_size_ = &request_size_->Add({{"endpoint", r}}, SizeBuckets());
  rm->response_size_ = &response_size_->Add({{"endpoint", r}}, SizeBuckets());
  routes_.push_back(std::move(rm));
  return *routes_.back();
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<prometheus::MetricFamily> process = process_collector_->Collect();
  families.insert(families.end(), std::make_move_iterator(process.begin()),
                  std::make_move_iterator(process.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace astraguard::obs
