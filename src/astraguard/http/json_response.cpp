#include "astraguard/http/json_response.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "astraguard/obs/util/json_text.hpp"

namespace astraguard::http {

void AppendJson(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64:
      obs::AppendJsonNumber(out, static_cast<std::int64_t>(v.get_int64()));
      break;
    case boost::json::kind::uint64:
      obs::AppendJsonNumber(out, static_cast<std::uint64_t>(v.get_uint64()));
      break;
    case boost::json::kind::double_: {
      // Not obs::AppendJsonNumber(double): std::to_chars picks the shorter of fixed and
      // scientific (100000 -> "1e+05", 0.0001 -> "1e-04"); fmt keeps fixed notation for
      // decimal exponents in [-4, 16). Both are shortest round-trip; this keeps the API's form.
      double d = v.get_double();
      if (std::isfinite(d)) {
        fmt::format_to(std::back_inserter(out), "{}", d);
      } else {
        out += "null";
      }
      break;
    }
    case boost::json::kind::string: obs::AppendJsonString(out, v.get_string()); break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(e, out);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        obs::AppendJsonString(out, kv.key());
        out += ':';
        AppendJson(kv.value(), out);
      }
      out += '}';
      break;
    }
  }
}

std::string SerializeJson(const boost::json::value& v) {
  std::string out;
  out.reserve(256);
  AppendJson(v, out);
  return out;
}

void WriteJson(const boost::json::value& v, Response& res, int status) {
  res.status = status;
  res.content_type = "application/json";
  res.body = SerializeJson(v);
}

}  // namespace astraguard::http
