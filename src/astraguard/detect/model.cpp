#include "astraguard/detect/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "astraguard/common/file.hpp"

namespace astraguard::detect {
namespace {

constexpr std::string_view kMagic = "astraguard-model";

std::string D(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Status Corrupt(const std::string& why) {
  return Status::Error(Code::kInvalidArgument, "model file: " + why);
}

// Whitespace tokenizer over one line.
class Tokens {
 public:
  explicit Tokens(std::string_view line) : rest_(line) {}
  bool Next(std::string_view& out) {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    if (rest_.empty()) return false;
    auto end = rest_.find(' ');
    out = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end);
    return true;
  }
  bool Number(double& v) {
    std::string_view t;
    if (!Next(t)) return false;
    // from_chars for double is available in libstdc++ 11+
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size();
  }
  bool Int(int& v) {
    double d = 0;
    if (!Number(d) || d != std::floor(d) || std::abs(d) > 1e9) return false;
    v = static_cast<int>(d);
    return true;
  }
  bool Expect(std::string_view word) {
    std::string_view t;
    return Next(t) && t == word;
  }

 private:
  std::string_view rest_;
};

std::string ConfigLine(const DetectorConfig& c) {
  std::ostringstream s;
  s << "config lags=" << c.lags << " horizon=" << c.horizon
    << " use_inputs=" << (c.use_inputs ? 1 : 0) << " ridge=" << D(c.ridge)
    << " smoothing=" << D(c.smoothing) << " min_error=" << D(c.min_error) << " prune=" << D(c.prune)
    << " prune_mode=" << c.prune_mode << " warmup=" << c.warmup << " hold=" << c.hold
    << " min_run=" << c.min_run << " stuck_factor=" << D(c.stuck_factor)
    << " stuck_min=" << c.stuck_min << " range_margin=" << D(c.range_margin)
    << " range_steps=" << c.range_steps << " var_factor=" << D(c.var_factor)
    << " var_smoothing=" << D(c.var_smoothing) << " mlp_hidden=" << c.mlp_hidden
    << " mlp_lags=" << c.mlp_lags << " mlp_epochs=" << c.mlp_epochs << " prime=" << c.prime
    << " holdout=" << D(c.holdout) << " window=" << c.threshold.window
    << " recompute_every=" << c.threshold.recompute_every << " z_min=" << D(c.threshold.z_min)
    << " z_max=" << D(c.threshold.z_max) << " z_step=" << D(c.threshold.z_step)
    << " max_sequences=" << c.threshold.max_sequences << " method=" << c.method
    << " discord_length=" << c.discord_length << " max_reference=" << c.max_reference;
  return s.str();
}

}  // namespace

std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Model::Serialize() const {
  std::ostringstream body;
  body << ConfigLine(config) << "\n";
  for (const auto& [name, m] : channels) {
    body << "channel " << name << " lags " << m.lags << " horizon " << m.horizon << " inputs "
         << m.num_inputs << " min " << D(m.value_min) << " max " << D(m.value_max)
         << " residual_sd " << D(m.residual_sd) << " last " << D(m.last_smoothed) << " method "
         << m.method << " max_run " << m.max_run << " var_max " << D(m.var_max) << "\n";
    body << "weights";
    for (double w : m.weights) body << " " << D(w);
    body << "\ntail";
    for (double v : m.tail) body << " " << D(v);
    body << "\nprime " << m.prime_errors.size();
    for (float e : m.prime_errors) body << " " << D(e);
    body << "\nreference " << m.reference.size();
    for (double v : m.reference) body << " " << D(v);
    body << "\nmlp " << m.mlp_hidden << " " << m.mlp_lags << " " << D(m.mlp_mean) << " "
         << D(m.mlp_scale) << " " << m.mlp.size();
    for (double w : m.mlp) body << " " << D(w);
    body << "\n";
  }
  const std::string b = body.str();
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(Fnv1a64(b)));
  return std::string(kMagic) + " " + std::to_string(kVersion) + "\nchecksum fnv1a64 " + sum + "\n" +
         b;
}

Result<Model> Model::Parse(std::string_view text) {
  auto next_line = [&text](std::string_view& line) {
    if (text.empty()) return false;
    auto nl = text.find('\n');
    line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    return true;
  };
  std::string_view line;
  if (!next_line(line)) return Corrupt("empty");
  {
    Tokens t(line);
    int version = 0;
    if (!t.Expect(kMagic)) return Corrupt("not an astraguard model (bad magic)");
    if (!t.Int(version)) return Corrupt("unreadable version");
    if (version != kVersion) {
      return Corrupt("version " + std::to_string(version) + " unsupported (expected " +
                     std::to_string(kVersion) + ")");
    }
  }
  if (!next_line(line)) return Corrupt("missing checksum line");
  {
    Tokens t(line);
    std::string_view hex;
    if (!t.Expect("checksum") || !t.Expect("fnv1a64") || !t.Next(hex) || hex.size() != 16) {
      return Corrupt("bad checksum line");
    }
    std::uint64_t want = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), want, 16);
    if (ec != std::errc() || p != hex.data() + hex.size()) return Corrupt("bad checksum digits");
    if (Fnv1a64(text) != want) return Corrupt("checksum mismatch (file truncated or modified)");
  }
  Model model;
  if (!next_line(line) || line.substr(0, 7) != "config ") return Corrupt("missing config line");
  {
    Tokens t(line.substr(7));
    std::string_view kv;
    while (t.Next(kv)) {
      Status st = SetDetectorParam(model.config, std::string(kv));
      if (!st.ok()) return Corrupt(st.message());
    }
  }
  while (next_line(line)) {
    if (line.empty()) continue;
    ChannelModel m;
    Tokens h(line);
    std::string_view name;
    if (!h.Expect("channel") || !h.Next(name)) return Corrupt("expected a channel line");
    double max_run = 0;
    m.name = std::string(name);
    if (model.channels.count(name) != 0) return Corrupt("channel " + m.name + " appears twice");
    if (!h.Expect("lags") || !h.Int(m.lags) || !h.Expect("horizon") || !h.Int(m.horizon) ||
        !h.Expect("inputs") || !h.Int(m.num_inputs) || !h.Expect("min") || !h.Number(m.value_min) ||
        !h.Expect("max") || !h.Number(m.value_max) || !h.Expect("residual_sd") ||
        !h.Number(m.residual_sd) || !h.Expect("last") || !h.Number(m.last_smoothed) ||
        !h.Expect("method") || !h.Int(m.method) || !h.Expect("max_run") || !h.Number(max_run)) {
      return Corrupt("bad header of channel " + m.name);
    }
    // Files written before the variability rule carry no var_max: the rule stays off for them.
    if (std::string_view word; h.Next(word)) {
      if (word != "var_max" || !h.Number(m.var_max) || h.Next(word)) {
        return Corrupt("bad header of channel " + m.name);
      }
    }
    // Checked before the cast: NaN, 1e300 or a fraction never reach static_cast<int64_t>.
    if (!(max_run >= 0 && max_run <= static_cast<double>(kMaxRun)) ||
        max_run != std::floor(max_run)) {
      return Corrupt("channel " + m.name + ": max_run must be an integer 0..1e15");
    }
    m.max_run = static_cast<std::int64_t>(max_run);
    // Dimensions first: they size the vectors read below.
    if (m.method < 0 || m.method > 1 || m.lags < 1 || m.lags > kMaxLags || m.horizon < 1 ||
        m.horizon > kMaxHorizon || m.num_inputs < 0 || m.num_inputs > kMaxInputs) {
      return Corrupt("channel " + m.name + " has out-of-range dimensions");
    }
    auto read_vec = [&](std::string_view word, std::size_t count, auto& out) -> bool {
      std::string_view l;
      if (!next_line(l)) return false;
      Tokens t(l);
      if (!t.Expect(word)) return false;
      if (word == "prime" || word == "reference") {
        int n = 0;
        const int max = word == "prime" ? DynamicThreshold::kMaxWindow : kMaxReference;
        if (!t.Int(n) || n < 0 || n > max) return false;
        count = static_cast<std::size_t>(n);
      }
      // Each number takes at least two bytes (" 0"): a count the line cannot hold is refused
      // before anything is allocated for it.
      if (count > l.size() / 2) return false;
      using T = std::decay_t<decltype(out[0])>;
      // float (prime errors) only within +/-kMaxError: the narrowing is then always defined.
      const double bound = std::is_same_v<T, float> ? DynamicThreshold::kMaxError
                                                    : std::numeric_limits<double>::max();
      out.resize(count);
      for (std::size_t i = 0; i < count; ++i) {
        double v = 0;
        if (!t.Number(v) || !std::isfinite(v) || std::abs(v) > bound) return false;
        out[i] = static_cast<T>(v);
      }
      std::string_view extra;
      return !t.Next(extra);
    };
    if (!read_vec("weights", static_cast<std::size_t>(m.lags + m.num_inputs + 1), m.weights) ||
        !read_vec("tail", static_cast<std::size_t>(m.lags + m.horizon - 1), m.tail) ||
        !read_vec("prime", 0, m.prime_errors) || !read_vec("reference", 0, m.reference)) {
      return Corrupt("bad vectors of channel " + m.name);
    }
    // Files written before the residual network have no mlp line: the channel has none.
    if (text.substr(0, 4) == "mlp ") {
      std::string_view l;
      next_line(l);
      Tokens t(l.substr(4));
      int count = 0;
      if (!t.Int(m.mlp_hidden) || !t.Int(m.mlp_lags) || !t.Number(m.mlp_mean) ||
          !t.Number(m.mlp_scale) || !t.Int(count) || count < 0 ||
          static_cast<std::size_t>(count) > l.size() / 2) {
        return Corrupt("bad mlp line of channel " + m.name);
      }
      m.mlp.resize(static_cast<std::size_t>(count));
      for (double& w : m.mlp) {
        if (!t.Number(w)) return Corrupt("bad mlp line of channel " + m.name);
      }
      if (std::string_view extra; t.Next(extra)) {
        return Corrupt("bad mlp line of channel " + m.name);
      }
    }
    model.channels.emplace(m.name, std::move(m));
  }
  if (Status st = model.Validate(); !st.ok()) return Corrupt(st.message());
  return model;
}

Status Model::Validate() const {
  if (Status st = ValidateDetectorConfig(config); !st.ok()) return st;
  for (const auto& [name, m] : channels) {
    if (name != m.name) return Corrupt("channel " + m.name + " is filed as " + name);
    if (Status st = ValidateChannelModel(m, config); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Model::Save(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::Error(Code::kUnavailable, "cannot write " + path);
  f << Serialize();
  f.close();
  if (!f) return Status::Error(Code::kUnavailable, "write failed: " + path);
  return Status::Ok();
}

Result<Model> Model::Load(const std::string& path) {
  auto text = ReadRegularFile(path, kMaxFileBytes, "model file");
  if (!text.ok()) return text.status();
  auto parsed = Parse(*text);
  if (!parsed.ok()) {
    return Status::Error(parsed.status().code(), path + ": " + parsed.status().message());
  }
  return parsed;
}

}  // namespace astraguard::detect
