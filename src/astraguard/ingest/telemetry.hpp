#pragma once
// Telemetry records: decoding and validation of the POST /api/v1/telemetry body.
//
// Field ranges follow the original API (original-system.md §1.2): voltage 0..50 V, temperature
// -100..150 C, gyro any finite rad/s, current >= 0 A, wheel_speed >= 0 RPM; timestamp RFC 3339;
// satellite_id 1..64 of [A-Za-z0-9._-] (default "default"); `channels` up to 64 extra named
// finite numbers. Numbers must be JSON numbers (no numeric strings); unknown fields are
// rejected. Every offending field is reported, not just the first.
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
