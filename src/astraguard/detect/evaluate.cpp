#include "astraguard/detect/evaluate.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>

#include "astraguard/detect/npy.hpp"

namespace astraguard::detect {
namespace {

std::vector<Interval> Merge(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const auto& iv : v) {
    if (!out.empty() && iv.first <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

// Splits one CSV line honouring double quotes.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  fields.push_back(cur);
  return fields;
}

std::string Num(double v, int precision = 4) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << v;
  return s.str();
}

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o.push_back(c);
  }
  return o;
}

}  // namespace

Result<std::vector<LabeledChannel>> LoadLabels(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) return Status::Error(Code::kNotFound, "cannot open " + csv_path);
  std::string line;
  if (!std::getline(in, line)) return Status::Error(Code::kInvalidArgument, csv_path + ": empty");
  std::vector<LabeledChannel> out;
  std::map<std::string, std::size_t> index;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    auto f = SplitCsv(line);
    if (f.size() < 3) {
      return Status::Error(Code::kInvalidArgument,
                           csv_path + ":" + std::to_string(lineno) + ": expected >= 3 fields");
    }
    std::vector<std::int64_t> nums;
    std::int64_t cur = 0;
    bool have = false;
    for (char c : f[2]) {
      if (c >= '0' && c <= '9') {
        cur = cur * 10 + (c - '0');
        have = true;
      } else {
        if (have) nums.push_back(cur);
        cur = 0;
        have = false;
      }
    }
    if (have) nums.push_back(cur);
    if (nums.size() % 2 != 0) {
      return Status::Error(Code::kInvalidArgument,
                           csv_path + ":" + std::to_string(lineno) + ": odd sequence bounds");
    }
    auto [it, inserted] = index.try_emplace(f[0], out.size());
    if (inserted) out.push_back(LabeledChannel{f[0], f[1], {}});
    auto& ch = out[it->second];
    for (std::size_t i = 0; i < nums.size(); i += 2)
      ch.sequences.emplace_back(nums[i], nums[i + 1]);
  }
  for (auto& ch : out) ch.sequences = Merge(std::move(ch.sequences));
  return out;
}

void Scores::Add(const Scores& o) {
  channels += o.channels;
  steps += o.steps;
  alarm_steps += o.alarm_steps;
  labeled_steps += o.labeled_steps;
  true_alarm_steps += o.true_alarm_steps;
  sequences += o.sequences;
  detected += o.detected;
  false_intervals += o.false_intervals;
  intervals += o.intervals;
  latencies.insert(latencies.end(), o.latencies.begin(), o.latencies.end());
  seconds += o.seconds;
}

double Scores::Precision() const {
  const double d = static_cast<double>(detected + false_intervals);
  return d > 0 ? detected / d : 0.0;
}
double Scores::Recall() const { return sequences > 0 ? double(detected) / sequences : 0.0; }
double Scores::F1() const {
  const double p = Precision(), r = Recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
double Scores::PointF1() const {
  const double p = alarm_steps > 0 ? double(true_alarm_steps) / alarm_steps : 0.0;
  const double r = labeled_steps > 0 ? double(true_alarm_steps) / labeled_steps : 0.0;
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
double Scores::LatencyQuantile(double q) const {
  // q outside [0, 1] (or NaN) would make the index cast below undefined or out of range.
  if (latencies.empty() || !(q >= 0 && q <= 1)) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v = latencies;
  std::sort(v.begin(), v.end());
  // linear interpolation between closest ranks (numpy's default)
  const double pos = q * (v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
double Scores::FalseAlarmsPer10k() const { return steps > 0 ? 1e4 * false_intervals / steps : 0; }
double Scores::AlarmFraction() const { return steps > 0 ? double(alarm_steps) / steps : 0.0; }
double Scores::StepsPerSecond() const { return seconds > 0 ? steps / seconds : 0.0; }

Scores ScoreChannel(const std::vector<Interval>& alarms_in, const std::vector<Interval>& labels,
                    std::int64_t steps) {
  Scores s;
  s.channels = 1;
  s.steps = steps;
  std::vector<Interval> alarms;
  for (auto [a, b] : alarms_in) {
    a = std::max<std::int64_t>(a, 0);
    b = std::min<std::int64_t>(b, steps - 1);
    if (a <= b) alarms.emplace_back(a, b);
  }
  std::vector<char> in_alarm(static_cast<std::size_t>(steps), 0);
  std::vector<char> in_label(static_cast<std::size_t>(steps), 0);
  for (auto [a, b] : alarms) std::fill(in_alarm.begin() + a, in_alarm.begin() + b + 1, 1);
  for (auto [a, b] : labels) {
    a = std::max<std::int64_t>(a, 0);
    b = std::min<std::int64_t>(b, steps - 1);
    if (a <= b) std::fill(in_label.begin() + a, in_label.begin() + b + 1, 1);
  }
  for (std::int64_t t = 0; t < steps; ++t) {
    s.alarm_steps += in_alarm[t];
    s.labeled_steps += in_label[t];
    s.true_alarm_steps += in_alarm[t] & in_label[t];
  }
  s.sequences = static_cast<std::int64_t>(labels.size());
  s.intervals = static_cast<std::int64_t>(alarms.size());
  for (const auto& [la, lb] : labels) {
    bool hit = false;
    for (const auto& [a, b] : alarms) hit = hit || (a <= lb && b >= la);
    if (!hit) continue;
    ++s.detected;
    // latency: first alarmed step inside the sequence minus its start
    for (std::int64_t t = std::max<std::int64_t>(la, 0); t <= lb && t < steps; ++t) {
      if (in_alarm[t]) {
        s.latencies.push_back(static_cast<double>(t - la));
        break;
      }
    }
  }
  for (const auto& [a, b] : alarms) {
    bool overlaps = false;
    for (const auto& [la, lb] : labels) overlaps = overlaps || (a <= lb && b >= la);
    if (!overlaps) ++s.false_intervals;
  }
  return s;
}

namespace {

void PrintScoresJson(std::ostream& out, const Scores& s) {
  out << "\"event_precision\": " << Num(s.Precision()) << ", \"event_recall\": " << Num(s.Recall())
      << ", \"event_f1\": " << Num(s.F1()) << ", \"point_f1\": " << Num(s.PointF1())
      << ", \"latency_median\": " << Num(s.LatencyQuantile(0.5), 1)
      << ", \"latency_p90\": " << Num(s.LatencyQuantile(0.9), 1)
      << ", \"false_alarms_per_10k\": " << Num(s.FalseAlarmsPer10k(), 3)
      << ", \"alarm_fraction\": " << Num(s.AlarmFraction())
      << ", \"steps_per_second\": " << Num(s.StepsPerSecond(), 0)
      << ", \"channels\": " << s.channels << ", \"steps\": " << s.steps
      << ", \"sequences\": " << s.sequences << ", \"true_positives\": " << s.detected
      << ", \"false_positives\": " << s.false_intervals
      << ", \"false_negatives\": " << (s.sequences - s.detected);
}

void PrintScoresText(std::ostream& out, const std::string& name, const Scores& s) {
  out << std::left << std::setw(8) << name << std::right << " ch=" << std::setw(3) << s.channels
      << " P=" << Num(s.Precision(), 3) << " R=" << Num(s.Recall(), 3) << " F1=" << Num(s.F1(), 3)
      << " (tp " << s.detected << " fp " << s.false_intervals << " fn " << s.sequences - s.detected
      << ") pointF1=" << Num(s.PointF1(), 3) << " lat50=" << Num(s.LatencyQuantile(0.5), 0)
      << " lat90=" << Num(s.LatencyQuantile(0.9), 0) << " fa/10k=" << Num(s.FalseAlarmsPer10k(), 2)
      << " alarm_frac=" << Num(s.AlarmFraction(), 4) << " steps/s=" << Num(s.StepsPerSecond(), 0)
      << "\n";
}

// One channel's arrays, loaded once and streamed through any number of configurations.
struct ChannelData {
  Matrix test;
  std::vector<double> values;  // train column 0
  std::vector<double> inputs;  // train columns 1.., row-major
  int num_inputs = 0;
};

Result<ChannelData> LoadChannel(const std::string& data_dir, const LabeledChannel& ch) {
  const std::string base = data_dir + "/" + ch.spacecraft + "/" + ch.channel;
  auto train = LoadNpyGz(base + "_train.npy.gz");
  if (!train.ok()) return train.status();
  auto test = LoadNpyGz(base + "_test.npy.gz");
  if (!test.ok()) return test.status();
  if (train->cols != test->cols || train->cols < 1) {
    return Status::Error(Code::kInvalidArgument,
                         ch.channel + ": train and test column counts differ");
  }
  ChannelData d;
  const std::size_t cols = train->cols;
  d.num_inputs = static_cast<int>(cols - 1);
  d.values.resize(train->rows);
  d.inputs.reserve(train->rows * (cols - 1));
  for (std::size_t t = 0; t < train->rows; ++t) {
    d.values[t] = train->At(t, 0);
    d.inputs.insert(d.inputs.end(), train->Row(t) + 1, train->Row(t) + cols);
  }
  d.test = std::move(*test);
  return d;
}

struct ChannelRun {
  std::vector<Interval> alarms;
  Scores scores;
  std::size_t memory_bytes = 0;
};

// Fits every member on the train array, streams the test array causally, unions the members'
// alarm intervals (each still starts where it was raised) and scores them.
Result<ChannelRun> RunChannel(const LabeledChannel& ch, const ChannelData& d,
                              const std::vector<DetectorConfig>& members) {
  std::vector<ChannelModel> models;
  for (const auto& cfg : members) {
    auto model = FitChannelModel(ch.channel, d.values, d.inputs, d.num_inputs, cfg);
    if (!model.ok()) return model.status();
    models.push_back(std::move(*model));
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<ChannelDetector> dets;
  dets.reserve(members.size());
  for (std::size_t m = 0; m < members.size(); ++m) dets.emplace_back(models[m], members[m]);
  std::vector<Interval> raw;
  const std::int64_t n = static_cast<std::int64_t>(d.test.rows);
  const std::size_t inputs = d.test.cols - 1;
  for (std::int64_t t = 0; t < n; ++t) {
    const double* row = d.test.Row(static_cast<std::size_t>(t));
    for (auto& det : dets) {
      ChannelStep st = det.Step(row[0], std::span<const double>(row + 1, inputs));
      if (st.closed) raw.emplace_back(st.closed_start, st.closed_end);
    }
  }
  ChannelRun run;
  for (auto& det : dets) {
    if (det.in_alarm()) raw.emplace_back(det.open_start(), std::min(det.open_until(), n - 1));
    run.memory_bytes += det.MemoryBytes();
  }
  run.alarms = Merge(std::move(raw));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.scores = ScoreChannel(run.alarms, ch.sequences, n);
  run.scores.seconds = secs;
  return run;
}

bool MeetsGuardrails(const Scores& s) {
  return s.AlarmFraction() <= kMaxAlarmFraction && s.FalseAlarmsPer10k() <= kMaxFalseAlarmsPer10k;
}

// Candidate c of the grid, as mixed-radix digits (the last axis varies fastest).
std::vector<std::size_t> GridDigits(const std::vector<GridAxis>& grid, std::size_t c) {
  std::vector<std::size_t> digits(grid.size());
  for (std::size_t a = grid.size(); a-- > 0;) {
    digits[a] = c % grid[a].values.size();
    c /= grid[a].values.size();
  }
  return digits;
}

std::string Describe(const std::vector<GridAxis>& grid, std::size_t c) {
  const auto digits = GridDigits(grid, c);
  std::ostringstream o;
  for (std::size_t a = 0; a < grid.size(); ++a) {
    o << (a ? " " : "") << grid[a].key << "=" << grid[a].values[digits[a]];
  }
  return o.str();
}

int RunCrossValidation(const EvaluateOptions& options, const std::vector<LabeledChannel>& selected,
                       std::ostream& out, std::ostream& err) {
  auto folds = LoadFolds(options.data_dir + "/folds.csv");
  if (!folds.ok()) {
    err << "evaluate: " << folds.status().message() << "\n";
    return 1;
  }
  std::vector<int> fold_of;
  for (const auto& ch : selected) {
    auto it = folds->find(ch.channel);
    if (it == folds->end()) {
      err << "evaluate: channel " << ch.channel << " has no fold in folds.csv\n";
      return 1;
    }
    fold_of.push_back(it->second);
  }
  const std::vector<GridAxis> grid = options.grid.empty() ? DefaultCvGrid() : options.grid;
  std::size_t count = 1;
  for (const auto& axis : grid) count *= axis.values.size();
  std::vector<DetectorConfig> candidates(count, options.detector);
  std::vector<std::vector<int>> neighbours(count);
  for (std::size_t c = 0; c < count; ++c) {
    const auto digits = GridDigits(grid, c);
    std::size_t stride = 1;
    for (std::size_t a = grid.size(); a-- > 0;) {
      const std::string assignment = grid[a].key + "=" + Num(grid[a].values[digits[a]], 10);
      if (Status st = SetDetectorParam(candidates[c], assignment); !st.ok()) {
        err << "evaluate: --grid: " << st.message() << "\n";
        return 2;
      }
      if (digits[a] > 0) neighbours[c].push_back(static_cast<int>(c - stride));
      if (digits[a] + 1 < grid[a].values.size())
        neighbours[c].push_back(static_cast<int>(c + stride));
      stride *= grid[a].values.size();
    }
    if (Status st = ValidateDetectorConfig(candidates[c]); !st.ok()) {
      err << "evaluate: --grid " << Describe(grid, c) << ": " << st.message() << "\n";
      return 2;
    }
  }
  // scores[c][i]: candidate c on channel i (every channel's arrays are loaded once).
  std::vector<std::vector<Scores>> scores(count, std::vector<Scores>(selected.size()));
  for (std::size_t i = 0; i < selected.size(); ++i) {
    auto data = LoadChannel(options.data_dir, selected[i]);
    if (!data.ok()) {
      err << "evaluate: " << data.status().message() << "\n";
      return 1;
    }
    for (std::size_t c = 0; c < count; ++c) {
      std::vector<DetectorConfig> members{candidates[c]};
      members.insert(members.end(), options.extra_members.begin(), options.extra_members.end());
      auto run = RunChannel(selected[i], *data, members);
      if (!run.ok()) {
        err << "evaluate: " << run.status().message() << "\n";
        return 1;
      }
      scores[c][i] = std::move(run->scores);
    }
  }
  const CrossValidation cv = CrossValidate(scores, neighbours, fold_of);
  auto name = [&](const Selection& s) {
    return s.candidate < 0 ? std::string("(no candidate meets the guardrails)")
                           : Describe(grid, static_cast<std::size_t>(s.candidate));
  };
  if (options.json) {
    out << "{\"candidates\": " << count << ", \"folds\": [";
    for (std::size_t k = 0; k < cv.folds.size(); ++k) {
      out << (k ? ", " : "") << "{\"fold\": " << cv.folds[k] << ", \"chosen\": \""
          << Escape(name(cv.chosen[k]))
          << "\", \"plateau_f1_other_folds\": " << Num(cv.chosen[k].plateau_f1) << ", ";
      PrintScoresJson(out, cv.held_out[k]);
      out << "}";
    }
    out << "], \"cross_validated\": {";
    PrintScoresJson(out, cv.pooled);
    out << "}, \"all_channels\": {\"chosen\": \"" << Escape(name(cv.all))
        << "\", \"plateau_f1\": " << Num(cv.all.plateau_f1) << ", ";
    PrintScoresJson(out, cv.all.pooled);
    out << "}}\n";
    return 0;
  }
  out << "cross-validation: " << count << " candidates, " << cv.folds.size()
      << " folds (folds.csv); per fold the choice on the other folds (plateau F1 there), scored "
         "on the fold\n";
  for (std::size_t k = 0; k < cv.folds.size(); ++k) {
    out << "fold " << cv.folds[k] << ": " << name(cv.chosen[k]) << " (plateau F1 "
        << Num(cv.chosen[k].plateau_f1, 3) << ")\n";
    PrintScoresText(out, "  fold " + std::to_string(cv.folds[k]), cv.held_out[k]);
  }
  PrintScoresText(out, "cv", cv.pooled);
  out << "chosen on all channels: " << name(cv.all) << " (plateau F1 " << Num(cv.all.plateau_f1, 3)
      << ")\n";
  PrintScoresText(out, "all", cv.all.pooled);
  return 0;
}

}  // namespace

Result<std::map<std::string, int>> LoadFolds(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) return Status::Error(Code::kNotFound, "cannot open " + csv_path);
  std::string line;
  if (!std::getline(in, line)) return Status::Error(Code::kInvalidArgument, csv_path + ": empty");
  std::map<std::string, int> out;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    auto f = SplitCsv(line);
    int fold = 0;
    const char* first = f.size() == 3 ? f[2].data() : nullptr;
    const char* last = first ? first + f[2].size() : nullptr;
    if (first == nullptr || std::from_chars(first, last, fold).ptr != last || first == last) {
      return Status::Error(Code::kInvalidArgument, csv_path + ":" + std::to_string(lineno) +
                                                       ": expected chan_id,spacecraft,fold");
    }
    out[f[0]] = fold;
  }
  return out;
}

Result<GridAxis> ParseGridAxis(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Error(Code::kInvalidArgument, "expected key=v1,v2,..., got " + spec);
  }
  GridAxis axis{spec.substr(0, eq), {}};
  std::stringstream list(spec.substr(eq + 1));
  std::string item;
  while (std::getline(list, item, ',')) {
    DetectorConfig probe;
    if (Status st = SetDetectorParam(probe, axis.key + "=" + item); !st.ok()) return st;
    double v = 0;  // SetDetectorParam accepted it: the same from_chars parse succeeds
    std::from_chars(item.data(), item.data() + item.size(), v);
    axis.values.push_back(v);
  }
  if (axis.values.empty()) {
    return Status::Error(Code::kInvalidArgument, "no values for " + axis.key);
  }
  return axis;
}

std::vector<GridAxis> DefaultCvGrid() {
  return {{"window", {1500, 2000, 3000}},
          {"lags", {10, 30}},
          {"range_margin", {0.02, 0.05}},
          {"range_steps", {0, 10, 20}},
          {"var_smoothing", {0.002, 0.005, 0.02}},
          {"var_factor", {0, 1.5, 2, 3}}};
}

Selection SelectCandidate(const std::vector<std::vector<Scores>>& scores,
                          const std::vector<std::vector<int>>& neighbours,
                          const std::vector<bool>& use) {
  std::vector<Scores> pooled(scores.size());
  for (std::size_t c = 0; c < scores.size(); ++c) {
    for (std::size_t i = 0; i < scores[c].size() && i < use.size(); ++i) {
      if (use[i]) pooled[c].Add(scores[c][i]);
    }
  }
  Selection best;
  for (std::size_t c = 0; c < scores.size(); ++c) {
    if (!MeetsGuardrails(pooled[c])) continue;
    double sum = pooled[c].F1();
    for (int n : neighbours[c]) sum += pooled[static_cast<std::size_t>(n)].F1();
    const double plateau = sum / static_cast<double>(1 + neighbours[c].size());
    const bool better = best.candidate < 0 || plateau > best.plateau_f1 ||
                        (plateau == best.plateau_f1 && pooled[c].F1() > best.pooled.F1());
    if (better) best = {static_cast<int>(c), plateau, pooled[c]};
  }
  return best;
}

CrossValidation CrossValidate(const std::vector<std::vector<Scores>>& scores,
                              const std::vector<std::vector<int>>& neighbours,
                              const std::vector<int>& fold_of_channel) {
  CrossValidation cv;
  cv.folds = fold_of_channel;
  std::sort(cv.folds.begin(), cv.folds.end());
  cv.folds.erase(std::unique(cv.folds.begin(), cv.folds.end()), cv.folds.end());
  const std::size_t n = fold_of_channel.size();
  for (int k : cv.folds) {
    std::vector<bool> train(n), held(n);
    for (std::size_t i = 0; i < n; ++i) {
      train[i] = fold_of_channel[i] != k;
      held[i] = !train[i];
    }
    Selection s = SelectCandidate(scores, neighbours, train);
    Scores h;
    if (s.candidate >= 0) {
      for (std::size_t i = 0; i < n; ++i) {
        if (held[i]) h.Add(scores[static_cast<std::size_t>(s.candidate)][i]);
      }
    }
    cv.pooled.Add(h);
    cv.chosen.push_back(std::move(s));
    cv.held_out.push_back(std::move(h));
  }
  cv.all = SelectCandidate(scores, neighbours, std::vector<bool>(n, true));
  return cv;
}

int RunEvaluate(const EvaluateOptions& options, std::ostream& out, std::ostream& err) {
  if (options.data_dir.empty()) {
    err << "evaluate: --data DIR is required\n";
    return 2;
  }
  auto labels = LoadLabels(options.data_dir + "/labeled_anomalies.csv");
  if (!labels.ok()) {
    err << "evaluate: " << labels.status().message() << "\n";
    return 1;
  }
  std::vector<LabeledChannel> selected;
  if (options.channels.empty()) {
    selected = *labels;
  } else {
    for (const auto& name : options.channels) {
      auto it = std::find_if(labels->begin(), labels->end(),
                             [&](const LabeledChannel& c) { return c.channel == name; });
      if (it == labels->end()) {
        err << "evaluate: channel " << name << " is not in labeled_anomalies.csv\n";
        return 2;
      }
      selected.push_back(*it);
    }
  }
  if (options.cv) return RunCrossValidation(options, selected, out, err);
  std::map<std::string, Scores> per_craft;
  Scores overall;
  std::vector<std::pair<std::string, std::vector<Interval>>> all_alarms;
  std::vector<std::pair<std::string, Scores>> per_channel;
  std::size_t memory_bytes = 0;
  std::vector<DetectorConfig> members{options.detector};
  members.insert(members.end(), options.extra_members.begin(), options.extra_members.end());
  for (const auto& ch : selected) {
    auto data = LoadChannel(options.data_dir, ch);
    if (!data.ok()) {
      err << "evaluate: " << data.status().message() << "\n";
      return 1;
    }
    auto run = RunChannel(ch, *data, members);
    if (!run.ok()) {
      err << "evaluate: " << run.status().message() << "\n";
      return 1;
    }
    memory_bytes = std::max(memory_bytes, run->memory_bytes);
    per_craft[ch.spacecraft].Add(run->scores);
    overall.Add(run->scores);
    per_channel.emplace_back(ch.channel, run->scores);
    all_alarms.emplace_back(ch.channel, std::move(run->alarms));
  }
  if (!options.alarms_path.empty()) {
    std::ofstream f(options.alarms_path);
    if (!f) {
      err << "evaluate: cannot write " << options.alarms_path << "\n";
      return 1;
    }
    f << "{";
    for (std::size_t i = 0; i < all_alarms.size(); ++i) {
      f << (i ? ", " : "") << "\"" << Escape(all_alarms[i].first) << "\": [";
      const auto& v = all_alarms[i].second;
      for (std::size_t j = 0; j < v.size(); ++j) {
        f << (j ? ", " : "") << "[" << v[j].first << ", " << v[j].second << "]";
      }
      f << "]";
    }
    f << "}\n";
  }
  if (options.json) {
    out << "{";
    PrintScoresJson(out, overall);
    out << ", \"memory_bytes_per_channel\": " << memory_bytes << ", \"per_spacecraft\": {";
    bool first = true;
    for (const auto& [name, s] : per_craft) {
      out << (first ? "" : ", ") << "\"" << Escape(name) << "\": {";
      PrintScoresJson(out, s);
      out << "}";
      first = false;
    }
    out << "}";
    if (options.per_channel) {
      out << ", \"per_channel\": {";
      for (std::size_t i = 0; i < per_channel.size(); ++i) {
        out << (i ? ", " : "") << "\"" << Escape(per_channel[i].first) << "\": {";
        PrintScoresJson(out, per_channel[i].second);
        out << "}";
      }
      out << "}";
    }
    out << "}\n";
  } else {
    if (options.per_channel) {
      for (const auto& [name, s] : per_channel) PrintScoresText(out, name, s);
    }
    for (const auto& [name, s] : per_craft) PrintScoresText(out, name, s);
    PrintScoresText(out, "overall", overall);
    out << "memory per channel: " << memory_bytes << " bytes\n";
  }
  return 0;
}

}  // namespace astraguard::detect
