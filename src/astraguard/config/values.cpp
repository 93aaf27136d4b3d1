#include "astraguard/config/values.hpp"

#include <fmt/format.h>

#include <charconv>

namespace astraguard::config::detail {
namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return Invalid("truncated %-escape");
    int hi = HexDigit(s[i + 1]);
    int lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return Invalid("bad %-escape");
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status ParseBool(std::string_view s, bool& out) {
  const std::string l = Lower(Trim(s));
  if (l == "true" || l == "1" || l == "yes") {
    out = true;
  } else if (l == "false" || l == "0" || l == "no") {
    out = false;
  } else {
    return Invalid(fmt::format("must be true, false, 1, 0, yes or no, got '{}'", s));
  }
  return Status::Ok();
}

Status ParseLogLevel(std::string_view s, obs::LogLevel& out) {
  const std::string l = Lower(Trim(s));
  if (l == "debug") {
    out = obs::LogLevel::kDebug;
  } else if (l == "info") {
    out = obs::LogLevel::kInfo;
  } else if (l == "warning" || l == "warn") {
    out = obs::LogLevel::kWarning;
  } else if (l == "error") {
    out = obs::LogLevel::kError;
  } else if (l == "critical") {
    out = obs::LogLevel::kCritical;
  } else {
    return Invalid(fmt::format("must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got '{}'", s));
  }
  return Status::Ok();
}

std::string_view LogLevelSetting(obs::LogLevel level) {
  switch (level) {
    case obs::LogLevel::kDebug:
      return "DEBUG";
    case obs::LogLevel::kInfo:
      return "INFO";
    case obs::LogLevel::kWarning:
      return "WARNING";
    case obs::LogLevel::kError:
      return "ERROR";
    case obs::LogLevel::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}

Status ParseUnsigned(std::string_view s, uint64_t min, uint64_t max, uint64_t& out) {
  const std::string_view t = Trim(s);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v < min || v > max) {
    return Invalid(fmt::format("must be an integer in [{}, {}], got '{}'", min, max, s));
  }
  out = v;
  return Status::Ok();
}

Status ParseMillis(std::string_view s, uint64_t min_ms, uint64_t max_ms,
                   std::chrono::milliseconds& out) {
  uint64_t ms = 0;
  if (Status st = ParseUnsigned(s, min_ms, max_ms, ms); !st.ok()) return st;
  out = std::chrono::milliseconds(ms);
  return Status::Ok();
}

Status ParseRatio(std::string_view s, double& out) {
  const std::string_view t = Trim(s);
  double r = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), r);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || !(r >= 0.0 && r <= 1.0)) {
    return Invalid(fmt::format("must be a ratio in [0, 1], got '{}'", s));
  }
  out = r;
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> ParseKeyValueList(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view rest = s;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Invalid("expected key=value pairs separated by commas");
    }
    auto key = PercentDecode(Trim(item.substr(0, eq)));
    if (!key.ok()) return key.status();
    auto value = PercentDecode(Trim(item.substr(eq + 1)));
    if (!value.ok()) return value.status();
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace astraguard::config::detail
