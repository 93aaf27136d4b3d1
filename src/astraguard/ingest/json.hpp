#pragma once
// Strict JSON parsing for request bodies.
//
// Stricter than RFC 8259 leaves room for: rejects duplicate object keys (ambiguous: which value
// wins is parser-dependent), invalid UTF-8, nesting deeper than kMaxDepth, trailing content,
// comments and trailing commas. Numbers too large for a double (1e309) are kept as +/-infinity
// so that the decoder can name the field; NaN/Infinity literals are not JSON and are rejected.
// Errors are kInvalidArgument Status values with the byte offset in the message.
// Thread-safety: stateless; may be called concurrently.

#include <boost/json/value.hpp>

#include <string_view>

#include "astraguard/common/status.hpp"

namespace astraguard::ingest {

inline constexpr size_t kMaxDepth = 16;

Result<boost::json::value> ParseStrict(std::string_view text, boost::json::storage_ptr sp = {});

}  // namespace astraguard::ingest
