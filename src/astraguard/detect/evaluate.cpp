#include "astraguard/detect/evaluate.hpp"

#include <algorithm>
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

}  // namespace

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
  std::map<std::string, Scores> per_craft;
  Scores overall;
  std::vector<std::pair<std::string, std::vector<Interval>>> all_alarms;
  std::vector<std::pair<std::string, Scores>> per_channel;
  std::size_t memory_bytes = 0;
  for (const auto& ch : selected) {
    const std::string base = options.data_dir + "/" + ch.spacecraft + "/" + ch.channel;
    auto train = LoadNpyGz(base + "_train.npy.gz");
    auto test = LoadNpyGz(base + "_test.npy.gz");
    if (!train.ok() || !test.ok()) {
      err << "evaluate: " << (!train.ok() ? train.status() : test.status()).message() << "\n";
      return 1;
    }
    if (train->cols != test->cols || train->cols < 1) {
      err << "evaluate: " << ch.channel << ": train and test column counts differ\n";
      return 1;
    }
    const std::size_t cols = train->cols;
    std::vector<double> values(train->rows);
    std::vector<double> inputs;
    inputs.reserve(train->rows * (cols - 1));
    for (std::size_t t = 0; t < train->rows; ++t) {
      values[t] = train->At(t, 0);
      inputs.insert(inputs.end(), train->Row(t) + 1, train->Row(t) + cols);
    }
    std::vector<DetectorConfig> members{options.detector};
    members.insert(members.end(), options.extra_members.begin(), options.extra_members.end());
    std::vector<ChannelModel> models;
    for (const auto& cfg : members) {
      auto model = FitChannelModel(ch.channel, values, inputs, static_cast<int>(cols - 1), cfg);
      if (!model.ok()) {
        err << "evaluate: " << model.status().message() << "\n";
        return 1;
      }
      models.push_back(std::move(*model));
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<ChannelDetector> dets;
    dets.reserve(members.size());
    for (std::size_t m = 0; m < members.size(); ++m) dets.emplace_back(models[m], members[m]);
    std::vector<Interval> raw;
    const std::int64_t n = static_cast<std::int64_t>(test->rows);
    for (std::int64_t t = 0; t < n; ++t) {
      const double* row = test->Row(static_cast<std::size_t>(t));
      for (auto& det : dets) {
        ChannelStep st = det.Step(row[0], std::span<const double>(row + 1, cols - 1));
        if (st.closed) raw.emplace_back(st.closed_start, st.closed_end);
      }
    }
    std::size_t mem = 0;
    for (auto& det : dets) {
      if (det.in_alarm()) raw.emplace_back(det.open_start(), std::min(det.open_until(), n - 1));
      mem += det.MemoryBytes();
    }
    // Union of the members' intervals (each still starts where it was raised).
    std::vector<Interval> alarms = Merge(std::move(raw));
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    memory_bytes = std::max(memory_bytes, mem);
    Scores s = ScoreChannel(alarms, ch.sequences, n);
    s.seconds = secs;
    per_craft[ch.spacecraft].Add(s);
    overall.Add(s);
    per_channel.emplace_back(ch.channel, s);
    all_alarms.emplace_back(ch.channel, std::move(alarms));
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
