// astraguard: one binary, thin main. Parses the command line, loads the configuration and
// dispatches to a subcommand; see commands.hpp for the exit-code contract.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "astraguard/cli/commands.hpp"
#include "astraguard/cli/simulate.hpp"
#include "astraguard/config/config.hpp"
#include "astraguard/detect/evaluate.hpp"
#include "astraguard/detect/train.hpp"

#ifndef ASTRAGUARD_VERSION
#define ASTRAGUARD_VERSION "0.0.0"
#endif

namespace {

using astraguard::config::Settings;

// Adds one flag per setting that has one; values land in `flags` keyed by variable name.
void AddSettingFlags(CLI::App* cmd, std::map<std::string, std::string>& flags) {
  for (const auto& s : Settings()) {
    if (s.flag.empty()) continue;
    std::string env(s.env);
    cmd->add_option_function<std::string>(
        std::string(s.flag), [&flags, env](const std::string& v) { flags[env] = v; },
        fmt::format("{} (env {})", s.help, s.env));
  }
}

// models/default.model in the directory of the running binary (built by the default_model
// target from nominal simulator data).
std::string DefaultModelPath(const char* argv0) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return (exe.parent_path() / "models" / "default.model").string();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace astraguard;
  // Before any thread exists, so that every thread inherits the mask and sigwait gets them.
  cli::BlockShutdownSignals();

  CLI::App app{"AstraGuard: real-time telemetry anomaly detection for satellite operators"};
  app.require_subcommand(1);
  std::map<std::string, std::string> flags;

  auto* serve = app.add_subcommand("serve", "Run the service (API and /metrics listeners).");
  auto* demo = app.add_subcommand(
      "demo",
      "Run the service fed by the built-in simulator; shows each injected fault beside the "
      "service's verdict, false alarms and a summary.");
  auto* check = app.add_subcommand(
      "check-config",
      "Print every setting's resolved value and source (secrets redacted), then the resolved "
      "OTLP traces endpoint, and exit. --help lists every environment variable.");
  check->footer(config::Help(ASTRAGUARD_VERSION));
  auto* version = app.add_subcommand("version", "Print the version and exit.");
  cli::SimulateArgs sim_args;
  auto* simulate = cli::AddSimulateCommand(app, sim_args);

  // Offline model work (no service): train a model file; evaluate on SMAP/MSL-style data.
  detect::TrainOptions train_opts;
  std::vector<std::string> train_params;
  auto* train = app.add_subcommand(
      "train", "Fit a model file from nominal history (SMAP/MSL train arrays, CSV or NDJSON).");
  auto* train_data =
      train->add_option("--data", train_opts.data, "Directory of *_train.npy.gz, or .csv/.ndjson");
  train
      ->add_option("--profile", train_opts.profile,
                   "Train on a documented built-in profile instead: nominal")
      ->excludes(train_data);
  train->add_option("--out", train_opts.out, "Model file to write")->required();
  train->add_option("--channels", train_opts.channels, "Only these channels (A,B,...)")
      ->delimiter(',');
  train->add_option("--param", train_params, "Detector setting key=value (repeatable)");

  detect::EvaluateOptions eval_opts;
  std::vector<std::string> eval_params;
  auto* evaluate = app.add_subcommand(
      "evaluate", "Score the detector on a SMAP/MSL-style folder under the causal protocol.");
  evaluate
      ->add_option("--data", eval_opts.data_dir, "Folder with SMAP/, MSL/, labeled_anomalies.csv")
      ->required();
  evaluate->add_option("--channels", eval_opts.channels, "Only these channels (A,B,...)")
      ->delimiter(',');
  evaluate->add_flag("--json", eval_opts.json, "Print one JSON object");
  auto* eval_alarms = evaluate->add_option(
      "--alarms", eval_opts.alarms_path,
      "Write the raised alarm intervals as JSON {\"<channel>\": [[start, end]]}");
  auto* eval_per_channel =
      evaluate->add_flag("--per-channel", eval_opts.per_channel, "Also print per-channel figures");
  evaluate->add_option("--param", eval_params, "Detector setting key=value (repeatable)");
  auto* eval_cv =
      evaluate->add_flag("--cv", eval_opts.cv,
                         "Cross-validated model selection over --grid with the folds of folds.csv");
  eval_cv->excludes(eval_alarms)->excludes(eval_per_channel);
  std::vector<std::string> eval_grid;
  evaluate
      ->add_option("--grid", eval_grid,
                   "With --cv: candidate values key=v1,v2,... (repeatable; default: the grid "
                   "EVALUATION.md describes)")
      ->needs(eval_cv);
  for (auto* cmd : {serve, demo, check}) AddSettingFlags(cmd, flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (train->parsed() || evaluate->parsed()) {
    auto& cfg = train->parsed() ? train_opts.detector : eval_opts.detector;
    for (const auto& p : train->parsed() ? train_params : eval_params) {
      Status st = detect::SetDetectorParam(cfg, p);
      if (!st.ok()) {
        std::cerr << "astraguard: --param: " << st.message() << "\n";
        return 2;
      }
    }
    for (const auto& g : eval_grid) {
      auto axis = detect::ParseGridAxis(g);
      if (!axis.ok()) {
        std::cerr << "astraguard: --grid: " << axis.status().message() << "\n";
        return 2;
      }
      eval_opts.grid.push_back(std::move(*axis));
    }
    return train->parsed() ? detect::RunTrain(train_opts, std::cout, std::cerr)
                           : detect::RunEvaluate(eval_opts, std::cout, std::cerr);
  }
  if (version->parsed()) {
    std::cout << "astraguard " << ASTRAGUARD_VERSION << "\n";
    return 0;
  }
  if (simulate->parsed()) return cli::RunSimulate(sim_args, std::cout, std::cerr);
  auto env = config::ProcessEnvironment();
  // The demo shows fault episodes and verdicts; per-request logs would bury them unless asked.
  if (demo->parsed() && !env.contains("LOG_LEVEL") && !flags.contains("LOG_LEVEL")) {
    flags["LOG_LEVEL"] = "WARNING";
  }
  auto loaded = config::Load(env, flags, ASTRAGUARD_VERSION);
  if (!loaded.ok()) {
    std::cerr << "astraguard: configuration error: " << loaded.status().message() << "\n";
    return 2;
  }
  if (loaded->config.model_path.empty()) {
    loaded->config.model_path = DefaultModelPath(argv[0]);
  }
  if (check->parsed()) {
    std::cout << config::Describe(*loaded);
    return 0;
  }
  if (demo->parsed()) return cli::RunDemo(loaded->config);
  return cli::RunServe(loaded->config);
}
