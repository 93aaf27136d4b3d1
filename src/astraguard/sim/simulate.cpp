#include "astraguard/sim/simulate.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "astraguard/http/client/client.hpp"

namespace astraguard::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The string at `key`, or "" when absent or not a string.
std::string Str(const boost::json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::string_view OrDash(std::string_view s) { return s.empty() ? "-" : s; }

// The per-record verdicts of a telemetry response (one object) or a batch response
// ({"results": [...]}), each with the index of its record in the request (a batch result's
// "index", else its position). Results without a verdict (rejected records) are left out.
std::vector<std::pair<size_t, Verdict>> ParseVerdicts(std::string_view body) {
  std::vector<std::pair<size_t, Verdict>> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  auto add = [&out](size_t position, const boost::json::object& o) {
    const auto* is = o.if_contains("is_anomaly");
    if (!is || !is->is_bool()) return;
    if (const auto* idx = o.if_contains("index"); idx && idx->is_int64() && idx->get_int64() >= 0) {
      position = static_cast<size_t>(idx->get_int64());
    }
    out.emplace_back(position,
                     Verdict{.satellite_id = Str(o, "satellite_id"),
                             .is_anomaly = is->get_bool(),
                             .anomaly_type = Str(o, "anomaly_type"),
                             .severity_level = Str(o, "severity_level"),
                             .recommended_action = Str(o, "recommended_action"),
                             .mission_phase = Str(o, "mission_phase"),
                             .anomaly_id = Str(o, "anomaly_id"),
                             .action_status = Str(o, "action_status")});
  };
  if (auto* arr = v.as_object().if_contains("results"); arr && arr->is_array()) {
    size_t position = 0;
    for (const auto& r : arr->as_array()) {
      if (r.is_object()) add(position, r.as_object());
      ++position;
    }
  } else {
    add(0, v.as_object());
  }
  return out;
}

// One line per anomaly (simulate --print-anomalies).
void PrintAnomaly(const Verdict& v, std::ostream& out) {
  out << "ANOMALY sat=" << OrDash(v.satellite_id) << " type=" << OrDash(v.anomaly_type)
      << " severity=" << OrDash(v.severity_level) << " action=" << OrDash(v.recommended_action)
      << " phase=" << OrDash(v.mission_phase) << " id=" << OrDash(v.anomaly_id)
      << " status=" << OrDash(v.action_status) << '\n';
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
  auto url = http::ParseUrl(*options.target);
  if (!url.ok()) {
    err << "simulate: " << url.status().message() << '\n';
    return 2;
  }
  const int nsat = options.fleet.satellites;
  const int nconn = std::clamp(options.connections, 1, std::max(1, nsat));
  const auto start = SteadyClock::now();
  const auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                                    std::chrono::duration<double>(options.duration_s));
  std::mutex mu;  // guards stats, latencies, `out`/`err`; serializes on_verdict
  PostStats stats;
  std::vector<double> latencies_ms;

  auto worker = [&](int w) {
    // Each worker simulates the satellites i with i % nconn == w, in its own Fleet copy so the
    // per-satellite streams are identical to file mode for the same seed.
    Fleet fleet(options.fleet);
    http::HttpClient client(*url, std::chrono::milliseconds(options.timeout_ms));
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"User-Agent", "astraguard-simulate"}, {"Accept", "application/json"}};
    std::vector<int> mine;
    for (int i = w; i < nsat; i += nconn) mine.push_back(i);
    const double worker_rate = options.rate * mine.size() / std::max(1, nsat);
    const int batch = std::max(0, options.batch_size);
    const std::string path = batch > 0 ? "/api/v1/telemetry/batch" : "/api/v1/telemetry";
    int64_t sent_records = 0;
    std::vector<std::string> pending;
    std::vector<Record> pending_records;  // the records behind `pending`, kept for on_verdict
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
      std::vector<Record> records;
      records.swap(pending_records);
      if (worker_rate > 0) {  // pace: record k of this worker is due at start + k / rate
        auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(sent_records / worker_rate));
        std::this_thread::sleep_until(due);
      }
      sent_records += nrec;
      const auto t0 = SteadyClock::now();
      auto resp = client.Send("POST", path, body, "application/json", headers);
      const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
      std::vector<std::pair<size_t, Verdict>> verdicts;
      if (resp.ok() && resp->status / 100 == 2 && (options.print_anomalies || options.on_verdict)) {
        verdicts = ParseVerdicts(resp->body);
      }
      std::lock_guard lock(mu);
      for (const auto& [index, verdict] : verdicts) {
        if (verdict.is_anomaly) {
          ++stats.anomalies;
          if (options.print_anomalies) PrintAnomaly(verdict, out);
        }
        if (options.on_verdict && index < records.size()) options.on_verdict(records[index], verdict);
      }
      if (options.print_anomalies && !verdicts.empty()) out.flush();
      ++stats.requests;
      stats.records += nrec;
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
        Record record = fleet.TickOne(idx);
        pending.push_back(TelemetryJson(record));
        if (options.on_verdict) pending_records.push_back(std::move(record));
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
  if (stats_out) *stats_out = stats;
  return stats.ok_2xx == stats.requests ? 0 : 1;
}

}  // namespace astraguard::sim
