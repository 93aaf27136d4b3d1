#include "astraguard/detect/train.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "astraguard/detect/npy.hpp"

namespace astraguard::detect {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ParseNumber(std::string_view s, double& v) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

std::vector<std::string> SplitComma(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '"')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '"')) ++i;
  return s.substr(i);
}

// Per satellite, per channel values in arrival order.
using Grouped = std::map<std::string, std::map<std::string, std::vector<double>>>;

std::map<std::string, TrainingSeries> Flatten(const Grouped& g) {
  std::map<std::string, TrainingSeries> out;
  for (const auto& [sat, chans] : g) {
    for (const auto& [ch, v] : chans) out[ch].segments.push_back(v);
  }
  return out;
}

Result<std::map<std::string, TrainingSeries>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(Code::kNotFound, "cannot open " + path);
  std::string line;
  if (!std::getline(in, line)) return Status::Error(Code::kInvalidArgument, path + ": empty");
  std::vector<std::string> header = SplitComma(line);
  for (auto& h : header) h = Trim(h);
  int sat_col = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "satellite_id") sat_col = static_cast<int>(i);
  }
  std::vector<char> numeric(header.size(), 1);
  std::vector<std::vector<std::string>> rows;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (Trim(line).empty()) continue;
    auto f = SplitComma(line);
    if (f.size() != header.size()) {
      return Status::Error(Code::kInvalidArgument,
                           path + ":" + std::to_string(lineno) + ": " + std::to_string(f.size()) +
                               " fields, header has " + std::to_string(header.size()));
    }
    for (std::size_t i = 0; i < f.size(); ++i) {
      double v;
      if (!ParseNumber(f[i], v)) numeric[i] = 0;
    }
    rows.push_back(std::move(f));
  }
  Grouped g;
  for (const auto& r : rows) {
    const std::string sat = sat_col >= 0 ? Trim(r[sat_col]) : "default";
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (!numeric[i] || static_cast<int>(i) == sat_col) continue;
      double v = 0;
      ParseNumber(r[i], v);
      g[sat][header[i]].push_back(v);
    }
  }
  return Flatten(g);
}

Result<std::map<std::string, TrainingSeries>> ReadNdjson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(Code::kNotFound, "cannot open " + path);
  Grouped g;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (Trim(line).empty()) continue;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      return Status::Error(Code::kInvalidArgument,
                           path + ":" + std::to_string(lineno) + ": not a JSON object");
    }
    const auto& obj = v.as_object();
    std::string sat = "default";
    if (auto* s = obj.if_contains("satellite_id"); s != nullptr && s->is_string()) {
      sat = std::string(s->as_string());
    }
    auto take = [&](const boost::json::object& o) {
      for (const auto& kv : o) {
        const auto& val = kv.value();
        if (val.is_number()) {
          const double d = val.to_number<double>();
          if (std::isfinite(d)) g[sat][std::string(kv.key())].push_back(d);
        }
      }
    };
    take(obj);
    if (auto* c = obj.if_contains("channels"); c != nullptr && c->is_object()) take(c->as_object());
  }
  return Flatten(g);
}

// xorshift64* uniform and Box-Muller normal: platform-independent, unlike std distributions.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : s_(seed ? seed : 1) {}
  double operator()() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }

 private:
  double Uniform() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return double((s_ * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
  }
  std::uint64_t s_;
};

}  // namespace

std::map<std::string, TrainingSeries> NominalProfile(std::size_t steps, int satellites,
                                                     std::uint64_t seed) {
  Gaussian g(seed);
  Grouped grouped;
  for (int s = 0; s < satellites; ++s) {
    auto& ch = grouped["profile-sat-" + std::to_string(s)];
    for (std::size_t t = 0; t < steps; ++t) {
      const double p = 6.283185307179586 * double(t % 90) / 90.0;
      ch["voltage"].push_back(28.0 + 0.8 * std::sin(p) + 0.05 * g());
      ch["temperature"].push_back(20.0 + 15.0 * std::sin(p + s) + 0.3 * g());
      ch["gyro"].push_back(0.002 * g());
      ch["current"].push_back(3.0 + 0.5 * std::cos(p) + 0.05 * g());
      ch["wheel_speed"].push_back(2500.0 + 200.0 * s + 20.0 * g());
    }
  }
  return Flatten(grouped);
}

Result<std::map<std::string, TrainingSeries>> ReadTelemetryHistory(const std::string& path) {
  // A device or FIFO (/dev/zero, a pipe) would be read forever or block the open.
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    return Status::Error(Code::kInvalidArgument, path + ": not a regular file");
  }
  if (EndsWith(path, ".csv")) return ReadCsv(path);
  if (EndsWith(path, ".ndjson") || EndsWith(path, ".jsonl") || EndsWith(path, ".json")) {
    return ReadNdjson(path);
  }
  return Status::Error(Code::kInvalidArgument,
                       path + ": expected a .csv, .ndjson or .jsonl file or a directory");
}

Result<ChannelModel> FitSegments(const std::string& name, const TrainingSeries& series,
                                 const DetectorConfig& config) {
  // Fit on the longest segment-aware concatenation: segments shorter than the lag window are
  // dropped; the rest are joined (a seam costs at most lags predictions of noise).
  std::vector<double> values;
  for (const auto& seg : series.segments) {
    if (seg.size() < static_cast<std::size_t>(config.lags + config.horizon + 1)) continue;
    values.insert(values.end(), seg.begin(), seg.end());
  }
  DetectorConfig c = config;
  c.use_inputs = false;
  return FitChannelModel(name, values, {}, 0, c);
}

Result<Model> TrainModel(const TrainOptions& options, std::ostream& log) {
  Model model;
  model.config = options.detector;
  auto wanted = [&](const std::string& ch) {
    return options.channels.empty() || std::find(options.channels.begin(), options.channels.end(),
                                                 ch) != options.channels.end();
  };
  std::error_code ec;
  if (!options.profile.empty()) {
    if (options.profile != "nominal") {
      return Status::Error(Code::kInvalidArgument,
                           "unknown profile '" + options.profile + "' (known: nominal)");
    }
    for (const auto& [ch, series] : NominalProfile(3000, 3, 20261125)) {
      if (!wanted(ch)) continue;
      auto fitted = FitSegments(ch, series, options.detector);
      if (!fitted.ok()) return fitted.status();
      log << "trained " << ch << " on the nominal profile, residual sd " << fitted->residual_sd
          << "\n";
      model.channels.emplace(ch, std::move(*fitted));
    }
  } else if (fs::is_directory(options.data, ec)) {
    std::vector<fs::path> files;
    auto scan = [&](const fs::path& dir) {
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (e.is_regular_file() && (EndsWith(n, "_train.npy.gz") || EndsWith(n, "_train.npy"))) {
          files.push_back(e.path());
        }
      }
    };
    scan(options.data);
    for (const auto& e : fs::directory_iterator(options.data, ec)) {
      if (e.is_directory()) scan(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string n = f.filename().string();
      const std::string ch = n.substr(0, n.find("_train.npy"));
      if (!wanted(ch)) continue;
      auto m = LoadNpyGz(f.string());
      if (!m.ok()) return m.status();
      std::vector<double> values(m->rows);
      std::vector<double> inputs;
      inputs.reserve(m->rows * (m->cols - 1));
      for (std::size_t t = 0; t < m->rows; ++t) {
        values[t] = m->At(t, 0);
        inputs.insert(inputs.end(), m->Row(t) + 1, m->Row(t) + m->cols);
      }
      auto fitted =
          FitChannelModel(ch, values, inputs, static_cast<int>(m->cols - 1), options.detector);
      if (!fitted.ok()) return fitted.status();
      log << "trained " << ch << " on " << m->rows << " steps, residual sd " << fitted->residual_sd
          << "\n";
      model.channels.emplace(ch, std::move(*fitted));
    }
  } else {
    auto history = ReadTelemetryHistory(options.data);
    if (!history.ok()) return history.status();
    for (const auto& [ch, series] : *history) {
      if (!wanted(ch)) continue;
      auto fitted = FitSegments(ch, series, options.detector);
      if (!fitted.ok()) {
        log << "skipped " << ch << ": " << fitted.status().message() << "\n";
        continue;
      }
      log << "trained " << ch << ", residual sd " << fitted->residual_sd << "\n";
      model.channels.emplace(ch, std::move(*fitted));
    }
  }
  if (model.channels.empty()) {
    return Status::Error(Code::kInvalidArgument, "no trainable channel found in " + options.data);
  }
  return model;
}

int RunTrain(const TrainOptions& options, std::ostream& out, std::ostream& err) {
  if ((options.data.empty() == options.profile.empty()) || options.out.empty()) {
    err << "train: --out and exactly one of --data or --profile are required\n";
    return 2;
  }
  auto model = TrainModel(options, out);
  if (!model.ok()) {
    err << "train: " << model.status().message() << "\n";
    return 1;
  }
  Status st = model->Save(options.out);
  if (!st.ok()) {
    err << "train: " << st.message() << "\n";
    return 1;
  }
  // Read back to prove the file round-trips (checksum included).
  auto back = Model::Load(options.out);
  if (!back.ok()) {
    err << "train: written model does not load: " << back.status().message() << "\n";
    return 1;
  }
  out << "wrote " << options.out << ": " << back->channels.size() << " channels, format version "
      << Model::kVersion << "\n";
  return 0;
}

}  // namespace astraguard::detect
