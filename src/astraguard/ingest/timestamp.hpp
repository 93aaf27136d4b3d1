#pragma once
// RFC 3339 timestamps: parsing (with offset, optional fraction) and UTC formatting.
// Thread-safety: stateless.

#include <chrono>
#include <string>
#include <string_view>

#include "astraguard/common/status.hpp"

namespace astraguard::ingest {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-25T13:36:48Z", "2026-11-25T15:36:48.250+02:00"; 'T'/'t' and 'Z'/'z' per RFC 3339.
// Sub-microsecond digits are truncated. Leap second 60 is accepted as :59.999999.
Result<Timestamp> ParseRfc3339(std::string_view text);

// "2026-11-25T13:36:48.250000Z" (always UTC, microseconds).
std::string FormatRfc3339(Timestamp t);

// The same on Unix milliseconds: "2026-01-01T00:00:10.500Z" (always UTC, milliseconds), and
// ParseRfc3339 truncated to milliseconds.
std::string FormatRfc3339Millis(int64_t unix_ms);
Result<int64_t> ParseRfc3339Millis(std::string_view text);

}  // namespace astraguard::ingest
