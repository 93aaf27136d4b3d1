#pragma once
// JSON rendering for responses: serializes a boost::json::value with numbers in their shortest
// round-trip form ("28.5", "1", "0.001", "100000") instead of Boost.JSON's "2.85E1", strings
// escaped per RFC 8259 by obs/util/json_text.hpp (invalid UTF-8 becomes U+FFFD, so the output is
// always valid JSON). Non-finite doubles (which JSON cannot carry) are written as null.
// Thread-safety: stateless.

#include <boost/json/value.hpp>

#include <string>

#include "astraguard/http/message.hpp"

namespace astraguard::http {

std::string SerializeJson(const boost::json::value& v);
void AppendJson(const boost::json::value& v, std::string& out);

// Sets status, content type application/json and the serialized body.
void WriteJson(const boost::json::value& v, Response& res, int status = 200);

}  // namespace astraguard::http
