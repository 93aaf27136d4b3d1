#include "astraguard/cli/simulate.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

#include "astraguard/ingest/timestamp.hpp"

namespace astraguard::cli {

CLI::App* AddSimulateCommand(CLI::App& app, SimulateArgs& a) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Simulate LEO smallsats with labelled faults: write NDJSON/CSV, or post to a running "
      "service (load generator).");
  auto& o = a.options;
  cmd->add_option("--satellites", o.fleet.satellites, "Number of satellites")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--seed", o.fleet.seed, "Random seed (same seed, same output)");
  cmd->add_option("--samples", o.samples, "Samples per satellite (when --duration is 0)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cmd->add_option("--step", o.fleet.step_s, "Simulated seconds between samples")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--start", a.start, "Simulated start time: RFC 3339 or 'now'");
  cmd->add_option("--fault", a.faults,
                  "Fault episode KIND@START[+DURATION][:CHANNEL][#SAT] (seconds, SAT 0-based); "
                  "kinds: power_brownout battery_degradation thermal_runaway gyro_drift "
                  "gyro_spike wheel_friction wheel_stall sensor_stuck sensor_dropout");
  cmd->add_option("--faults-per-hour", o.fleet.faults_per_hour,
                  "Random fault episodes per satellite per simulated hour")
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_option("--fault-duration", o.fleet.fault_duration_s, "Random episode length (s)")
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--fault-kinds", a.fault_pool, "Restrict random faults to these kinds");
  cmd->add_option("--format", a.format, "File output format")
      ->check(CLI::IsMember({"ndjson", "csv"}));
  cmd->add_option("-o,--output", a.output, "Output file (default stdout)");
  cmd->add_flag("--no-truth", a.no_truth, "Omit ground-truth labels from NDJSON");
  cmd->add_option("--target", a.target, "Post to this service, e.g. http://127.0.0.1:8000");
  cmd->add_option("--rate", o.rate, "Records per second over all satellites (0 = unpaced)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--duration", o.duration_s, "Wall seconds to post (0 = --samples each)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--batch", o.batch_size, "Records per POST /api/v1/telemetry/batch (0 = single)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--connections", o.connections, "Parallel keep-alive connections")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--timeout-ms", o.timeout_ms, "Per-request timeout")
      ->check(CLI::Range(1, 600000));
  cmd->add_flag("--print-anomalies", o.print_anomalies,
                "Print one line per anomaly the service reports");
  return cmd;
}

int RunSimulate(SimulateArgs& a, std::ostream& out, std::ostream& err) {
  auto& o = a.options;
  if (a.start == "now") {
    o.fleet.start_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  } else {
    auto t = ingest::ParseRfc3339(a.start);
    if (!t.ok()) {
      err << "astraguard simulate: --start: " << t.status().message() << "\n";
      return 2;
    }
    o.fleet.start_epoch_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  }
  for (const auto& spec : a.faults) {
    auto f = sim::ParseFaultSpec(spec);
    if (!f.ok()) {
      err << "astraguard simulate: --fault: " << f.status().message() << "\n";
      return 2;
    }
    if (f->satellite >= o.fleet.satellites) {
      err << "astraguard simulate: --fault '" << spec << "': satellite index out of range\n";
      return 2;
    }
    o.fleet.faults.push_back(*f);
  }
  for (const auto& k : a.fault_pool) {
    auto kind = sim::ParseFaultKind(k);
    if (!kind || *kind == sim::FaultKind::kNone) {
      err << "astraguard simulate: --fault-kinds: unknown kind '" << k << "'\n";
      return 2;
    }
    o.fleet.fault_pool.push_back(*kind);
  }
  o.with_truth = !a.no_truth;
  o.format = a.format == "csv" ? sim::OutputFormat::kCsv : sim::OutputFormat::kNdjson;
  // Random faults are drawn over the whole run.
  o.fleet.horizon_s = std::max(o.fleet.horizon_s, static_cast<double>(o.samples) * o.fleet.step_s);
  if (!a.target.empty()) {
    o.target = a.target;
    sim::PostStats st;
    const int rc = sim::PostRecords(o, out, err, &st);
    out << "simulate: requests=" << st.requests << " records=" << st.records
        << " 2xx=" << st.ok_2xx << " 4xx=" << st.client_4xx << " 5xx=" << st.server_5xx
        << " errors=" << st.errors << " anomalies="
        << (o.print_anomalies ? std::to_string(st.anomalies) : std::string("n/a"))
        << " elapsed_s=" << st.elapsed_s
        << " rps=" << (st.elapsed_s > 0 ? st.requests / st.elapsed_s : 0.0)
        << " p50_ms=" << st.p50_ms << " p99_ms=" << st.p99_ms << " max_ms=" << st.max_ms << '\n';
    return rc;
  }
  if (a.output.empty() || a.output == "-") return sim::WriteRecords(o, out);
  std::ofstream file(a.output);
  if (!file) {
    err << "astraguard simulate: cannot open --output '" << a.output << "'\n";
    return 2;
  }
  int rc = sim::WriteRecords(o, file);
  if (!file) {
    err << "astraguard simulate: write to '" << a.output << "' failed\n";
    return 1;
  }
  return rc;
}

}  // namespace astraguard::cli
