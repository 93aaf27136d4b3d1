#include "astraguard/ingest/telemetry.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "astraguard/ingest/json.hpp"

namespace astraguard::ingest {
namespace {

namespace json = boost::json;

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
    default: return "a number";
  }
}

// Field errors of one record: every error is counted, the first kMaxListedErrors are kept.
class Errors {
 public:
  void push_back(FieldError e) {
    ++total_;
    if (listed_.size() < kMaxListedErrors) listed_.push_back(std::move(e));
  }
  bool empty() const { return total_ == 0; }
  size_t total() const { return total_; }
  std::vector<FieldError>& listed() { return listed_; }

 private:
  std::vector<FieldError> listed_;
  size_t total_ = 0;
};

// Reads a finite JSON number or reports why not.
// Field names are built only when there is an error to report: the happy path allocates none.
struct Field {
  std::string_view prefix;
  std::string_view key;
  std::string Name() const { return std::string(prefix) + std::string(key); }
};

std::optional<double> Number(const json::value& v, Field field, Errors& errors) {
  if (!v.is_number()) {
    errors.push_back({field.Name(), fmt::format("must be a number, got {}", KindName(v))});
    return std::nullopt;
  }
  double d = v.to_number<double>();
  if (!std::isfinite(d)) {
    errors.push_back({field.Name(), "must be a finite number"});
    return std::nullopt;
  }
  return d;
}

void Range(std::optional<double>& v, double lo, double hi, Field field, const char* unit,
           Errors& errors) {
  if (!v) return;
  if (*v < lo || *v > hi) {
    const std::string_view sep = *unit == '\0' ? "" : " ";
    if (std::isinf(hi)) {
      errors.push_back(
          {field.Name(), fmt::format("must be >= {}{}{}, got {:g}", lo, sep, unit, *v)});
    } else {
      errors.push_back({field.Name(), fmt::format("must be between {} and {}{}{}, got {:g}", lo,
                                                  hi, sep, unit, *v)});
    }
    v.reset();
  }
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

std::vector<detect::ChannelValue> TelemetryRecord::Values() const {
  std::vector<detect::ChannelValue> out;
  out.reserve(5 + channels.size());
  out.push_back({"voltage", voltage});
  out.push_back({"temperature", temperature});
  out.push_back({"gyro", gyro});
  if (current) out.push_back({"current", *current});
  if (wheel_speed) out.push_back({"wheel_speed", *wheel_speed});
  for (const auto& [name, value] : channels) out.push_back({name, value});
  return out;
}

Result<TelemetryRecord> DecodeTelemetry(const json::value& body, std::string_view path_prefix) {
  const std::string prefix(path_prefix);
  Errors errors;
  const json::object* obj = body.if_object();
  if (obj == nullptr) {
    std::string field = prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1);
    return Status::Error(Code::kValidation, "telemetry must be a JSON object",
                         {{field, fmt::format("must be an object, got {}", KindName(body))}});
  }
  TelemetryRecord rec;
  std::optional<double> voltage, temperature, gyro, current, wheel_speed;
  bool has_voltage = false, has_temperature = false, has_gyro = false;
  static constexpr std::string_view kStandard[] = {"voltage", "temperature", "gyro", "current",
                                                   "wheel_speed"};
  for (const auto& kv : *obj) {
    const std::string_view key = kv.key();
    const Field field{prefix, key};
    const json::value& v = kv.value();
    if (key == "voltage") {
      has_voltage = true;
      voltage = Number(v, field, errors);
      Range(voltage, 0, 50, field, "V", errors);
    } else if (key == "temperature") {
      has_temperature = true;
      temperature = Number(v, field, errors);
      Range(temperature, -100, 150, field, "C", errors);
    } else if (key == "gyro") {
      has_gyro = true;
      gyro = Number(v, field, errors);
      Range(gyro, -kMaxGyro, kMaxGyro, field, "rad/s", errors);
    } else if (key == "current") {
      if (!v.is_null()) {
        current = Number(v, field, errors);
        Range(current, 0, kMaxCurrent, field, "A", errors);
      }
    } else if (key == "wheel_speed") {
      if (!v.is_null()) {
        wheel_speed = Number(v, field, errors);
        Range(wheel_speed, 0, kMaxWheelSpeed, field, "RPM", errors);
      }
    } else if (key == "timestamp") {
      if (v.is_null()) continue;
      if (!v.is_string()) {
        errors.push_back({field.Name(), fmt::format("must be an RFC 3339 string, got {}", KindName(v))});
        continue;
      }
      auto ts = ParseRfc3339(std::string_view(v.get_string()));
      if (ts.ok()) {
        rec.timestamp = *ts;
      } else {
        errors.push_back({field.Name(), ts.status().message()});
      }
    } else if (key == "satellite_id") {
      if (!v.is_string() || !IsValidName(std::string_view(v.get_string()))) {
        errors.push_back({field.Name(), "must be a string of 1-64 characters of [A-Za-z0-9._-]"});
        continue;
      }
      rec.satellite_id = std::string(v.get_string());
    } else if (key == "channels") {
      const json::object* ch = v.if_object();
      if (ch == nullptr) {
        errors.push_back({field.Name(), fmt::format("must be an object, got {}", KindName(v))});
        continue;
      }
      if (ch->size() > kMaxChannels) {
        errors.push_back({field.Name(), fmt::format("must have at most {} entries, got {}", kMaxChannels,
                                             ch->size())});
        continue;
      }
      for (const auto& c : *ch) {
        const std::string_view name = c.key();
        const std::string channel_prefix = field.Name() + ".";
        const Field cfield{channel_prefix, name};
        if (!IsValidName(name)) {
          errors.push_back(
              {cfield.Name(), "channel names must be 1-64 characters of [A-Za-z0-9._-]"});
          continue;
        }
        if (std::find(std::begin(kStandard), std::end(kStandard), name) != std::end(kStandard)) {
          errors.push_back({cfield.Name(), "standard channels belong at the top level"});
          continue;
        }
        auto d = Number(c.value(), cfield, errors);
        Range(d, -detect::kMaxChannelMagnitude, detect::kMaxChannelMagnitude, cfield, "", errors);
        if (d) rec.channels.emplace_back(std::string(name), *d);
      }
    } else {
      errors.push_back({field.Name(), "unknown field"});
    }
  }
  if (!has_voltage) errors.push_back({prefix + "voltage", "is required"});
  if (!has_temperature) errors.push_back({prefix + "temperature", "is required"});
  if (!has_gyro) errors.push_back({prefix + "gyro", "is required"});
  if (!errors.empty()) {
    std::vector<FieldError>& listed = errors.listed();
    const size_t not_listed = errors.total() - listed.size();
    std::string detail = errors.total() == 1
                             ? fmt::format("{}: {}", listed[0].field, listed[0].message)
                             : fmt::format("{} fields are invalid", errors.total());
    return Status::Error(Code::kValidation, std::move(detail), std::move(listed), not_listed);
  }
  rec.voltage = *voltage;
  rec.temperature = *temperature;
  rec.gyro = *gyro;
  rec.current = current;
  rec.wheel_speed = wheel_speed;
  return rec;
}

Result<TelemetryRecord> ParseTelemetry(std::string_view body) {
  unsigned char buffer[4096];
  json::monotonic_resource mr(buffer, sizeof(buffer));
  auto parsed = ParseStrict(body, &mr);
  if (!parsed.ok()) return parsed.status();
  return DecodeTelemetry(*parsed);
}

}  // namespace astraguard::ingest
