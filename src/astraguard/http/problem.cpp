#include "astraguard/http/problem.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <algorithm>
#include <cctype>

#include "astraguard/http/json_response.hpp"

namespace astraguard::http {
namespace {

struct Kind {
  const char* slug;
  const char* title;
};

Kind KindOf(int status) {
  switch (status) {
    case 400: return {"malformed-request", "Malformed request"};
    case 401: return {"unauthorized", "Unauthorized"};
    case 403:
      return {"forbidden", "Forbidden"};
    case 404: return {"not-found", "Not found"};
    case 405: return {"method-not-allowed", "Method not allowed"};
    case 408: return {"request-timeout", "Request timeout"};
    case 409: return {"conflict", "Conflict"};
    case 413: return {"payload-too-large", "Payload too large"};
    case 415: return {"unsupported-media-type", "Unsupported media type"};
    case 422: return {"validation-error", "Validation error"};
    case 429:
      return {"too-many-requests", "Too many requests"};
    case 431: return {"headers-too-large", "Request header fields too large"};
    case 501: return {"not-implemented", "Not implemented"};
    case 503: return {"unavailable", "Service unavailable"};
    default: return {"internal-error", "Internal error"};
  }
}

void Render(int status, std::string_view detail, const std::vector<FieldError>& fields,
            size_t fields_not_listed, Response& out) {
  Kind kind = KindOf(status);
  boost::json::object o;
  o["type"] = std::string("https://astraguard.dev/problems/") + kind.slug;
  o["title"] = kind.title;
  o["status"] = status;
  o["detail"] = detail;
  boost::json::array errors;
  const size_t listed = std::min(fields.size(), kMaxListedErrors);
  for (size_t i = 0; i < listed; ++i) {
    errors.push_back({{"field", fields[i].field}, {"message", fields[i].message}});
  }
  o["errors"] = std::move(errors);
  if (const size_t more = fields.size() - listed + fields_not_listed; more > 0)
    o["errors_not_listed"] = more;
  out.status = status;
  out.content_type = "application/problem+json";
  out.body = SerializeJson(o);
}

}  // namespace

int HttpStatus(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kValidation: return 422;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kPermissionDenied: return 403;
    case Code::kTooLarge: return 413;
    case Code::kUnsupportedMediaType: return 415;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

void WriteProblem(const Status& status, Response& out) {
  Render(HttpStatus(status.code()), status.message(), status.fields(), status.fields_not_listed(),
         out);
}

void WriteProblem(int http_status, std::string_view detail, Response& out) {
  Render(http_status, detail, {}, 0, out);
}

void WriteProblem(int http_status, std::string_view detail, const std::vector<FieldError>& fields,
                  Response& out) {
  Render(http_status, detail, fields, 0, out);
}

bool IsJsonContentType(std::string_view content_type) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (base.size() != kJson.size()) return false;
  for (size_t i = 0; i < base.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(base[i])) != kJson[i]) return false;
  }
  return true;
}

bool RequireJson(const Request& req, Response& out) {
  if (IsJsonContentType(req.content_type)) return true;
  WriteProblem(Status::Error(Code::kUnsupportedMediaType,
                             fmt::format("Content-Type must be application/json, got '{}'",
                                         req.content_type),
                             {{"Content-Type", "must be application/json"}}),
               out);
  return false;
}

}  // namespace astraguard::http
