#pragma once
// Small helpers that append JSON text to a std::string. Used by the logger and the OTLP/JSON
// encoder so that every emitted document is valid JSON whatever the input bytes are:
//  - '"', '\\' and all control characters (< 0x20, 0x7f) are escaped;
//  - invalid UTF-8 (stray continuation bytes, overlongs, surrogates, truncated sequences,
//    bytes > 0xF4) is replaced by U+FFFD, one replacement per offending byte.
// Non-finite doubles are written as null (JSON has no NaN/Infinity).
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace astraguard::obs {

// Appends `s` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view s);
// Appends the escaped contents of `s` without the surrounding quotes.
void AppendJsonEscaped(std::string& out, std::string_view s);
// True when `s` is printable ASCII without '"' or '\\': its JSON string form is `"` s `"`.
bool IsPlainJsonText(std::string_view s);
// Appends a number; NaN and +-Inf become null.
void AppendJsonNumber(std::string& out, double v);
void AppendJsonNumber(std::string& out, std::int64_t v);
void AppendJsonNumber(std::string& out, std::uint64_t v);

// Replaces invalid UTF-8 with U+FFFD (no JSON escaping). For text that must be valid UTF-8,
// such as protobuf `string` fields.
std::string SanitizeUtf8(std::string_view s);
// True when `s` is entirely well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace astraguard::obs
