#pragma once
// Telemetry records: decoding and validation of the POST /api/v1/telemetry body.
//
// Field ranges follow the original API (original-system.md §1.2): voltage 0..50 V, temperature
// -100..150 C; timestamp RFC 3339; satellite_id 1..64 of [A-Za-z0-9._-] (default "default");
// `channels` up to 64 extra named finite numbers. Numbers must be JSON numbers (no numeric
// strings); unknown fields are rejected.
//
// The original left gyro, current and wheel_speed unbounded above, and a record such as
// {"gyro":1e300} crashed the detector. They now have generous physical bounds, far beyond any
// spacecraft yet well inside what the detectors compute with:
//   gyro        |x| <= 100 rad/s (kMaxGyro): ~5,700 deg/s; MEMS and fibre-optic gyros saturate
//               at 35 rad/s (2,000 deg/s) or less, and a spacecraft body rate of even 1 rad/s
//               is a tumble;
//   current     0..1000 A (kMaxCurrent): smallsat buses draw tens of A, the largest spacecraft
//               power channels a few hundred;
//   wheel_speed 0..100,000 RPM (kMaxWheelSpeed): reaction wheels run below ~10,000 RPM,
//               energy-storage flywheels at up to ~60,000;
//   channels    |x| <= 1e15 (detect::kMaxChannelMagnitude): no physical unit is implied, so the
//               cap is numerical: beyond 2^53 a double is no longer a faithful counter, and
//               below it the detectors' arithmetic (squares, window sums) cannot overflow.
// Out-of-range values are 422 errors naming the field, like every other invalid value.
//
// Every offending field is counted; the first kMaxListedErrors are listed in the Status (in
// input order) and the detail says how many there are in all, so that a body of 60,000 unknown
// keys gets a short answer ("60003 fields are invalid; the first 20 are listed").
// Thread-safety: stateless.

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/detection.hpp"
#include "astraguard/ingest/timestamp.hpp"

namespace astraguard::ingest {

inline constexpr size_t kMaxChannels = 64;
inline constexpr size_t kMaxNameLength = 64;
inline constexpr double kMaxGyro = 100.0;          // |rad/s|
inline constexpr double kMaxCurrent = 1000.0;      // A
inline constexpr double kMaxWheelSpeed = 100000.0;  // RPM

struct TelemetryRecord {
  double voltage = 0;      // V
  double temperature = 0;  // C
  double gyro = 0;         // rad/s
  std::optional<double> current;      // A
  std::optional<double> wheel_speed;  // RPM
  std::optional<Timestamp> timestamp;
  std::string satellite_id = "default";
  std::vector<std::pair<std::string, double>> channels;  // extra channels, in input order

  // Every channel of the record as name/value pairs (standard ones first). The names borrow
  // from this record, which must outlive the result.
  std::vector<detect::ChannelValue> Values() const;
};

// `path_prefix` prefixes field names in errors (e.g. "telemetry[3]." for batch items).
Result<TelemetryRecord> DecodeTelemetry(const boost::json::value& body,
                                        std::string_view path_prefix = "");

// Parses (strictly) and decodes a whole body.
Result<TelemetryRecord> ParseTelemetry(std::string_view body);

// 1..64 characters of [A-Za-z0-9._-].
bool IsValidName(std::string_view name);

}  // namespace astraguard::ingest
