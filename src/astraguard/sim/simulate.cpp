#include "astraguard/sim/simulate.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "astraguard/http/client.hpp"

namespace astraguard::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string_view Str(const boost::json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return v->get_string();
  return "-";
}

// Prints one line per anomaly in a telemetry or batch response body.
int64_t ReportAnomalies(std::string_view body, std::ostream& out, std::mutex& out_mu) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return 0;
  std::vector<const boost::json::object*> results;
  if (auto* arr = v.as_object().if_contains("results"); arr && arr->is_array()) {
    for (const auto& r : arr->as_array())
      if (r.is_object()) results.push_back(&r.as_object());
  } else {
    results.push_back(&v.as_object());
  }
  int64_t n = 0;
  for (const auto* o : results) {
    const auto* is = o->if_contains("is_anomaly");
    if (!is || !is->is_bool() || !is->get_bool()) continue;
    ++n;
    std::lock_guard lock(out_mu);
    out << "ANOMALY sat=" << Str(*o, "satellite_id") << " type=" << Str(*o, "anomaly_type")
        << " severity=" << Str(*o, "severity_level") << " action=" << Str(*o, "recommended_action")
        << " phase=" << Str(*o, "mission_phase") << " id=" << Str(*o, "anomaly_id")
        << " status=" << Str(*o, "action_status") << '\n';
    out.flush();
  }
  return n;
}

}  // namespace

SimulateOptions DemoOptions(uint16_t port, const std::atomic<bool>* stop) {
  SimulateOptions o;
  o.fleet.satellites = 3;
  o.fleet.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  o.fleet.start_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  // A first fault on SAT-001 after 60 simulated s (6 real s), so the demo shows one quickly.
  const FaultKind first = kAllFaultKinds[o.fleet.seed % std::size(kAllFaultKinds)];
  o.fleet.faults.push_back({0, {first, 60.0, 300.0, static_cast<Channel>((o.fleet.seed / 9) % 5)}});
  o.fleet.faults_per_hour = 12;  // mean gap 300 simulated s = 30 real s per satellite
  o.fleet.fault_duration_s = 300;
  o.fleet.fault_gap_s = 120;
  o.fleet.horizon_s = 30 * 86400.0;
  o.target = "http://127.0.0.1:" + std::to_string(port);
  o.rate = 3;
  o.duration_s = 1e9;
  o.print_anomalies = true;
  o.stop = stop;
  return o;
}

int WriteRecords(const SimulateOptions& options, std::ostream& out) {
  Fleet fleet(options.fleet);
  if (options.format == OutputFormat::kCsv) WriteCsvHeader(out);
  for (int64_t i = 0; i < options.samples; ++i) {
    for (const Record& r : fleet.Tick()) {
      if (options.format == OutputFormat::kCsv) {
        WriteCsv(r, out);
      } else {
        WriteNdjson(r, options.with_truth, out);
      }
    }
  }
  out.flush();
  return 0;
}

int PostRecords(const SimulateOptions& options, std::ostream& out, std::ostream& err,
                PostStats* stats_out) {
  auto hp = http::ParseHostPort(*options.target);
  if (!hp.ok()) {
    err << "simulate: " << hp.status().message() << '\n';
    return 2;
  }
  const int nsat = options.fleet.satellites;
  const int nconn = std::clamp(options.connections, 1, std::max(1, nsat));
  const auto start = SteadyClock::now();
  const auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                                    std::chrono::duration<double>(options.duration_s));
  std::mutex mu;  // guards stats, latencies and `out`/`err`
  PostStats stats;
  std::vector<double> latencies_ms;

  auto worker = [&](int w) {
    // Each worker simulates the satellites i with i % nconn == w, in its own Fleet copy so the
    // per-satellite streams are identical to file mode for the same seed.
    Fleet fleet(options.fleet);
    http::HttpClient client(hp->first, hp->second, std::chrono::milliseconds(options.timeout_ms));
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"User-Agent", "astraguard-simulate"}, {"Accept", "application/json"}};
    std::vector<int> mine;
    for (int i = w; i < nsat; i += nconn) mine.push_back(i);
    const double worker_rate = options.rate * mine.size() / std::max(1, nsat);
    const int batch = std::max(0, options.batch_size);
    const std::string path = batch > 0 ? "/api/v1/telemetry/batch" : "/api/v1/telemetry";
    int64_t sent_records = 0;
    std::vector<std::string> pending;
    auto send = [&]() {
      std::string body;
      if (batch > 0) {
        body = "{\"telemetry\":[";
        for (size_t k = 0; k < pending.size(); ++k) body += (k ? "," : "") + pending[k];
        body += "]}";
      } else {
        body = std::move(pending.front());
      }
      const int64_t nrec = static_cast<int64_t>(pending.size());
      pending.clear();
      if (worker_rate > 0) {  // pace: record k of this worker is due at start + k / rate
        auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(sent_records / worker_rate));
        std::this_thread::sleep_until(due);
      }
      sent_records += nrec;
      const auto t0 = SteadyClock::now();
      auto resp = client.Send("POST", path, body, "application/json", headers);
      const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
      int64_t anomalies = 0;
      if (resp.ok() && options.print_anomalies && resp->status / 100 == 2) {
        anomalies = ReportAnomalies(resp->body, out, mu);
      }
      std::lock_guard lock(mu);
      ++stats.requests;
      stats.records += nrec;
      stats.anomalies += anomalies;
      latencies_ms.push_back(ms);
      if (!resp.ok()) {
        if (stats.errors++ < 5) err << "simulate: " << resp.status().message() << '\n';
      } else if (resp->status / 100 == 2) {
        ++stats.ok_2xx;
      } else if (resp->status / 100 == 4) {
        if (stats.client_4xx++ < 5)
          err << "simulate: HTTP " << resp->status << ' ' << resp->body << '\n';
      } else {
        if (stats.server_5xx++ < 5)
          err << "simulate: HTTP " << resp->status << ' ' << resp->body << '\n';
      }
    };
    for (int64_t step = 0;; ++step) {
      if (options.stop && options.stop->load()) break;
      if (options.duration_s > 0 ? SteadyClock::now() >= deadline : step >= options.samples) break;
      for (int idx : mine) {
        pending.push_back(TelemetryJson(fleet.TickOne(idx)));
        if (batch == 0 || static_cast<int>(pending.size()) >= batch) send();
      }
    }
    if (!pending.empty()) send();
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < nconn; ++w) threads.emplace_back(worker, w);
  for (auto& t : threads) t.join();

  stats.elapsed_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto pct = [&](double q) {
      return latencies_ms[std::min(latencies_ms.size() - 1,
                                   static_cast<size_t>(q * latencies_ms.size()))];
    };
    stats.p50_ms = pct(0.50);
    stats.p99_ms = pct(0.99);
    stats.max_ms = latencies_ms.back();
  }
  out << "simulate: requests=" << stats.requests << " records=" << stats.records
      << " 2xx=" << stats.ok_2xx << " 4xx=" << stats.client_4xx << " 5xx=" << stats.server_5xx
      << " errors=" << stats.errors << " anomalies="
      << (options.print_anomalies ? std::to_string(stats.anomalies) : std::string("n/a"))
      << " elapsed_s=" << stats.elapsed_s
      << " rps=" << (stats.elapsed_s > 0 ? stats.requests / stats.elapsed_s : 0.0)
      << " p50_ms=" << stats.p50_ms << " p99_ms=" << stats.p99_ms << " max_ms=" << stats.max_ms
      << '\n';
  if (stats_out) *stats_out = stats;
  return stats.ok_2xx == stats.requests ? 0 : 1;
}

}  // namespace astraguard::sim
