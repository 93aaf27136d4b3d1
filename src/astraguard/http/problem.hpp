#pragma once
// RFC 9457 problem details: the one place that maps Status codes to HTTP statuses and renders
// `application/problem+json` bodies {type, title, status, detail, errors: [{field, message}]}.
// Thread-safety: stateless.

#include "astraguard/common/status.hpp"
#include "astraguard/http/message.hpp"

namespace astraguard::http {

int HttpStatus(Code code);

// Fills `out` with the problem response for a non-ok status.
void WriteProblem(const Status& status, Response& out);

// A problem with an explicit HTTP status (404, 405, 408, 431, 503 ...), no field errors.
void WriteProblem(int http_status, std::string_view detail, Response& out);

}  // namespace astraguard::http
