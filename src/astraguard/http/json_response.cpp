#include "astraguard/http/json_response.hpp"

#include <fmt/format.h>

#include <cmath>

namespace astraguard::http {
namespace {

void AppendString(std::string_view s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

void AppendJson(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: fmt::format_to(std::back_inserter(out), "{}", v.get_int64()); break;
    case boost::json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      break;
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (std::isfinite(d)) {
        fmt::format_to(std::back_inserter(out), "{}", d);
      } else {
        out += "null";
      }
      break;
    }
    case boost::json::kind::string: AppendString(v.get_string(), out); break;
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
        AppendString(kv.key(), out);
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
