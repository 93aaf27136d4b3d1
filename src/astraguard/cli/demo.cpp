#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "astraguard/app/app.hpp"
#include "astraguard/cli/commands.hpp"
#include "astraguard/cli/lifecycle.hpp"
#include "astraguard/sim/scoreboard.hpp"
#include "astraguard/sim/simulate.hpp"

namespace astraguard::cli {
namespace {

constexpr std::string_view kLogger = "astraguard.demo";
constexpr auto kSummaryEvery = std::chrono::seconds(10);

void LogEvent(obs::Logger& log, const sim::ScoreEvent& e) {
  using Kind = sim::ScoreEvent::Kind;
  std::vector<obs::LogField> f = {{"satellite", e.satellite_id}};
  if (e.kind != Kind::kFalseAlarm) f.emplace_back("fault", sim::FaultKindName(e.fault));
  if (e.channel && e.kind != Kind::kDetected)
    f.emplace_back("channel", sim::ChannelName(*e.channel));
  std::string_view event;
  switch (e.kind) {
    case Kind::kEpisodeStarted:
      event = "fault_injected";
      f.emplace_back("expected_type", sim::ExpectedAnomalyType(e.fault));
      break;
    case Kind::kDetected:
    case Kind::kFalseAlarm:
      event = e.kind == Kind::kDetected ? "fault_detected" : "false_alarm";
      f.emplace_back("type", e.verdict.anomaly_type);
      f.emplace_back("severity", e.verdict.severity_level);
      f.emplace_back("action", e.verdict.recommended_action);
      if (e.kind == Kind::kDetected) {
        f.emplace_back("latency_records", e.records);
        f.emplace_back("latency_s", e.seconds);
      }
      break;
    case Kind::kMissed:
      event = "fault_missed";
      f.emplace_back("records", e.records);
      f.emplace_back("duration_s", e.seconds);
      break;
  }
  log.Notice(kLogger, event, std::span<const obs::LogField>(f));
}

void LogSummary(obs::Logger& log, const sim::ScoreCounts& c, bool final) {
  log.Notice(kLogger, final ? "demo_final_summary" : "demo_summary",
             {{"records", c.records},
              {"episodes", c.episodes},
              {"detected", c.detected},
              {"missed", c.missed},
              {"false_alarms", c.false_alarms}});
}

}  // namespace

int RunDemo(const config::Config& config) {
  if (config.access.auth.enabled()) {
    std::cerr << "astraguard: configuration error: the demo feeds its own service without an "
                 "API key; unset ASTRAGUARD_API_KEYS and ASTRAGUARD_API_KEYS_FILE\n";
    return 2;
  }
  app::App app(config);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "astraguard: " << s.message() << "\n";
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  Lifecycle lifecycle(config, app.logger());
  lifecycle.Listening(app.api_port(), app.metrics_port());
  obs::Logger& log = app.logger();
  const std::string api = fmt::format("http://127.0.0.1:{}", app.api_port());
  log.Notice(kLogger, "demo_started",
             {{"message",
               "the simulator feeds 3 satellites and injects a labelled fault now and then; each "
               "episode is shown beside the service's verdict, with a summary every 10 s; Ctrl-C "
               "stops"},
              {"telemetry", api + "/api/v1/telemetry"},
              {"anomalies", api + "/api/v1/history/anomalies"},
              {"health", api + "/health"},
              {"metrics", fmt::format("http://127.0.0.1:{}/metrics", app.metrics_port())}});

  // Fed by the poster's worker thread, one call at a time.
  sim::Scoreboard scoreboard;
  auto next_summary = std::chrono::steady_clock::now() + kSummaryEvery;
  std::atomic<bool> stop{false};
  sim::SimulateOptions feed = sim::DemoOptions(app.api_port(), &stop);
  feed.on_verdict = [&](const sim::Record& truth, const sim::Verdict& verdict) {
    for (const auto& e : scoreboard.Observe(truth, verdict)) LogEvent(log, e);
    if (const auto now = std::chrono::steady_clock::now(); now >= next_summary && !stop.load()) {
      LogSummary(log, scoreboard.counts(), false);
      next_summary = now + kSummaryEvery;
    }
  };
  // Nothing is printed per record (print_anomalies is off); request errors go to stderr.
  std::thread feeder([&] { sim::PostRecords(feed, std::cout, std::cerr); });

  lifecycle.WaitForShutdown();
  stop.store(true);
  feeder.join();
  LogSummary(log, scoreboard.counts(), true);
  lifecycle.Stopped(app.Shutdown());
  return 0;
}

}  // namespace astraguard::cli
