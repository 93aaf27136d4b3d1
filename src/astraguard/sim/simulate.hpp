#pragma once
// RunSimulate: the body of `astraguard simulate`. Either writes a deterministic record stream
// (NDJSON or CSV, with ground-truth labels) or posts records to a running service at a given
// rate for a given number of satellites: the load generator and, with `on_verdict`, the demo
// feed (each record's ground truth beside the service's verdict on it).
//
// Thread-safety: PostRecords may be called from any thread; with connections > 1 it starts that
// many worker threads, each owning one HttpClient and a disjoint subset of the satellites, and
// joins them before returning.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "astraguard/sim/fleet.hpp"
#include "astraguard/sim/scoreboard.hpp"

namespace astraguard::sim {

enum class OutputFormat { kNdjson, kCsv };

struct SimulateOptions {
  FleetConfig fleet;
  int64_t samples = 360;  // samples per satellite (file mode; post mode when duration_s=0)
  OutputFormat format = OutputFormat::kNdjson;
  bool with_truth = true;  // add ground-truth labels to file output
  // Post mode (when target is set): "http://127.0.0.1:8080".
  std::optional<std::string> target;
  double rate = 10.0;       // records per second over all satellites (0 = unpaced)
  double duration_s = 0.0;  // wall seconds to run (0 = `samples` per satellite)
  int batch_size = 0;       // 0 = POST /api/v1/telemetry per record; N = /batch of N
  int connections = 1;
  int timeout_ms = 5000;
  bool print_anomalies = false;  // print one line per anomaly reported by the service
  // Post mode: when set, called with each record and the service's verdict on it, for every
  // record answered with a 2xx; records of one satellite in order. Calls are serialized (never
  // concurrent), on the worker threads.
  std::function<void(const Record&, const Verdict&)> on_verdict;
  // Post mode: when set, workers stop once it becomes true (e.g. the demo's Ctrl-C); must
  // outlive the PostRecords call.
  const std::atomic<bool>* stop = nullptr;
};

struct PostStats {
  int64_t requests = 0, records = 0, ok_2xx = 0, client_4xx = 0, server_5xx = 0, errors = 0;
  int64_t anomalies = 0;  // counted only with print_anomalies or on_verdict (replies parsed)
  double elapsed_s = 0.0;
  double p50_ms = 0.0, p99_ms = 0.0, max_ms = 0.0;
};

// The demo feed: 3 satellites posting one record per second each (10 s of simulated time per
// record, so an orbit takes ~10 real minutes), starting now, with a random labelled fault of
// 300 simulated s (30 real s) about every 5 simulated minutes per satellite (the first on
// SAT-001 after 60 simulated s). Runs until `stop`; the caller sets on_verdict to see results.
SimulateOptions DemoOptions(uint16_t port, const std::atomic<bool>* stop);

// File mode: writes samples * satellites records to `out` in time order. Returns 0.
int WriteRecords(const SimulateOptions& options, std::ostream& out);

// Post mode. Anomaly lines (print_anomalies) go to `out`, the first few errors to `err`; the
// totals to `stats`. Returns 0 when every request got a 2xx, 1 otherwise.
int PostRecords(const SimulateOptions& options, std::ostream& out, std::ostream& err,
                PostStats* stats = nullptr);

}  // namespace astraguard::sim
