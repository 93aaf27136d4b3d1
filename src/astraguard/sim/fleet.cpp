#include "astraguard/sim/fleet.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>

namespace astraguard::sim {
namespace {

std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

Result<double> ParseDouble(std::string_view s, std::string_view what) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return Status::Error(Code::kInvalidArgument,
                         "fault spec: bad " + std::string(what) + " '" + std::string(s) + "'",
                         {{"fault", "bad " + std::string(what)}});
  }
  return v;
}

}  // namespace

Result<ScheduledFault> ParseFaultSpec(std::string_view spec) {
  ScheduledFault f;
  auto bad = [&](std::string msg) {
    return Status::Error(Code::kInvalidArgument, "fault spec '" + std::string(spec) + "': " + msg,
                         {{"fault", msg}});
  };
  if (auto hash = spec.find('#'); hash != std::string_view::npos) {
    auto idx = ParseDouble(spec.substr(hash + 1), "satellite index");
    if (!idx.ok()) return idx.status();
    f.satellite = static_cast<int>(*idx);
    spec = spec.substr(0, hash);
  }
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    auto ch = ParseChannel(spec.substr(colon + 1));
    if (!ch) return bad("unknown channel '" + std::string(spec.substr(colon + 1)) + "'");
    f.episode.channel = *ch;
    spec = spec.substr(0, colon);
  }
  auto at = spec.find('@');
  if (at == std::string_view::npos) return bad("expected KIND@START");
  auto kind = ParseFaultKind(spec.substr(0, at));
  if (!kind || *kind == FaultKind::kNone) {
    return bad("unknown fault kind '" + std::string(spec.substr(0, at)) + "'");
  }
  f.episode.kind = *kind;
  std::string_view times = spec.substr(at + 1);
  if (auto plus = times.find('+'); plus != std::string_view::npos) {
    auto dur = ParseDouble(times.substr(plus + 1), "duration");
    if (!dur.ok()) return dur.status();
    if (*dur <= 0) return bad("duration must be > 0");
    f.episode.duration_s = *dur;
    times = times.substr(0, plus);
  }
  auto start = ParseDouble(times, "start");
  if (!start.ok()) return start.status();
  f.episode.start_s = *start;
  return f;
}

Fleet::Fleet(const FleetConfig& config) : config_(config) {
  std::mt19937_64 sched_rng(config.seed ^ 0x5eed5eedULL);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<FaultKind> pool = config.fault_pool;
  if (pool.empty()) pool.assign(std::begin(kAllFaultKinds), std::end(kAllFaultKinds));

  for (int i = 0; i < config.satellites; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "%03d", i + 1);
    const double phase0 = config.satellites > 0 ? static_cast<double>(i) / config.satellites : 0;
    models_.emplace_back(config.id_prefix + id, config.seed * 1000003ULL + i, config.params,
                         config.start_epoch_ms, phase0);
  }
  schedule_ = config.faults;
  if (config.faults_per_hour > 0) {
    const double mean_gap_s = 3600.0 / config.faults_per_hour;
    for (int i = 0; i < config.satellites; ++i) {
      double t = config.fault_gap_s;
      while (true) {
        t += -std::log(1.0 - uni(sched_rng)) * mean_gap_s;
        if (t >= config.horizon_s) break;
        ScheduledFault f;
        f.satellite = i;
        f.episode.kind = pool[static_cast<size_t>(uni(sched_rng) * pool.size()) % pool.size()];
        f.episode.start_s = t;
        f.episode.duration_s = config.fault_duration_s;
        f.episode.channel = static_cast<Channel>(static_cast<int>(uni(sched_rng) * 5) % 5);
        schedule_.push_back(f);
        t += config.fault_duration_s + config.fault_gap_s;
      }
    }
  }
  for (const auto& f : schedule_) {
    if (f.satellite >= 0 && f.satellite < size()) models_[f.satellite].AddFault(f.episode);
  }
}

std::vector<Record> Fleet::Tick() {
  std::vector<Record> out;
  out.reserve(models_.size());
  for (auto& m : models_) out.push_back(m.Step(config_.step_s));
  return out;
}

Record Fleet::TickOne(int index) { return models_.at(index).Step(config_.step_s); }

std::string TelemetryJson(const Record& r) {
  std::string s;
  s.reserve(200);
  s += "{\"satellite_id\":\"";
  s += r.satellite_id;  // ids are generated from a safe alphabet
  s += "\",\"timestamp\":\"";
  s += FormatTimestamp(r.timestamp_ms);
  s += "\",\"voltage\":" + Num(r.voltage);
  s += ",\"temperature\":" + Num(r.temperature);
  s += ",\"gyro\":" + Num(r.gyro);
  s += ",\"current\":" + Num(r.current);
  s += ",\"wheel_speed\":" + Num(r.wheel_speed);
  s += '}';
  return s;
}

void WriteNdjson(const Record& r, bool with_truth, std::ostream& out) {
  std::string s = TelemetryJson(r);
  if (with_truth) {
    s.pop_back();
    s += ",\"truth\":{\"fault\":\"";
    s += FaultKindName(r.fault);
    s += "\",\"expected_type\":\"";
    s += ExpectedAnomalyType(r.fault);
    s += '"';
    if (r.fault_channel) {
      s += ",\"channel\":\"";
      s += ChannelName(*r.fault_channel);
      s += '"';
    }
    s += "}}";
  }
  s += '\n';
  out << s;
}

void WriteCsvHeader(std::ostream& out) {
  out << "satellite_id,timestamp,voltage,temperature,gyro,current,wheel_speed,fault,"
         "expected_type,fault_channel\n";
}

void WriteCsv(const Record& r, std::ostream& out) {
  out << r.satellite_id << ',' << FormatTimestamp(r.timestamp_ms) << ',' << Num(r.voltage) << ','
      << Num(r.temperature) << ',' << Num(r.gyro) << ',' << Num(r.current) << ','
      << Num(r.wheel_speed) << ',' << FaultKindName(r.fault) << ',' << ExpectedAnomalyType(r.fault)
      << ',' << (r.fault_channel ? ChannelName(*r.fault_channel) : std::string_view()) << '\n';
}

}  // namespace astraguard::sim
