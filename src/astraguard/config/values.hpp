#pragma once
// The value parsers of the settings table (config.cpp, tracing_settings.cpp): one for each kind
// of value, so that every variable of a kind accepts the same spellings. Surrounding spaces and
// tabs are ignored. Errors say what was expected and quote the value; the caller prefixes the
// variable or flag name. Internal to config/.
// Thread-safety: pure functions.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/obs/log/logger.hpp"

namespace astraguard::config::detail {

std::string_view Trim(std::string_view s);
std::string Lower(std::string_view s);

// true|false|1|0|yes|no, case-insensitive.
Status ParseBool(std::string_view s, bool& out);

// DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL, case-insensitive.
Status ParseLogLevel(std::string_view s, obs::LogLevel& out);
// "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL".
std::string_view LogLevelSetting(obs::LogLevel level);

// A decimal integer in [min, max].
Status ParseUnsigned(std::string_view s, uint64_t min, uint64_t max, uint64_t& out);
template <typename T>
Status ParseUnsigned(std::string_view s, uint64_t min, uint64_t max, T& out) {
  uint64_t v = 0;
  if (Status st = ParseUnsigned(s, min, max, v); !st.ok()) return st;
  out = static_cast<T>(v);
  return Status::Ok();
}
// Milliseconds in [min_ms, max_ms].
Status ParseMillis(std::string_view s, uint64_t min_ms, uint64_t max_ms,
                   std::chrono::milliseconds& out);

// A number in [0, 1].
Status ParseRatio(std::string_view s, double& out);

// "k1=v1,k2=v2" with %-escapes in keys and values (the W3C-baggage-like list of
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_*HEADERS); empty items are skipped.
Result<std::vector<std::pair<std::string, std::string>>> ParseKeyValueList(std::string_view s);

}  // namespace astraguard::config::detail
