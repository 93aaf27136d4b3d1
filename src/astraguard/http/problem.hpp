#pragma once
// RFC 9457 problem details: the one place that maps Status codes to HTTP statuses and renders
// `application/problem+json` bodies {type, title, status, detail, errors: [{field, message}]}.
// At most kMaxListedErrors field errors are listed; when there are more, `errors_not_listed`
// counts the rest, so that a hostile body cannot make the answer larger than a few KiB.
// Thread-safety: stateless.

#include "astraguard/common/status.hpp"
#include "astraguard/http/message.hpp"

namespace astraguard::http {

int HttpStatus(Code code);

// Fills `out` with the problem response for a non-ok status.
void WriteProblem(const Status& status, Response& out);

// A problem with an explicit HTTP status (404, 405, 408, 431, 503 ...), no field errors.
void WriteProblem(int http_status, std::string_view detail, Response& out);
// The same naming the offending fields (e.g. a header for 401/403).
void WriteProblem(int http_status, std::string_view detail, const std::vector<FieldError>& fields,
                  Response& out);

// True when the media type (before any ';' parameters, trailing spaces ignored) is
// application/json, case-insensitively.
bool IsJsonContentType(std::string_view content_type);

// For handlers that take a JSON body: returns true when the request declares JSON; otherwise
// fills `out` with a 415 problem (field "Content-Type") and returns false.
bool RequireJson(const Request& req, Response& out);

}  // namespace astraguard::http
