#pragma once
// Request framing checks of the server (RFC 9112 sections 3.2 and 6), apart from server.cpp so
// that the fuzzer (fuzz/http_framing_fuzz.cpp) runs the same code on parsed request heads.
//
// Thread-safety: stateless.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <utility>

namespace astraguard::http {

// Why the request's message framing cannot be trusted, as {status, detail}; status 0 when the
// framing is sound. Only `chunked` is understood, and only as the sole transfer coding:
// anything else could make a proxy in front of us and this server disagree on where the body
// ends (request smuggling).
std::pair<int, std::string> FramingError(
    const boost::beast::http::request<boost::beast::http::string_body>& req);

}  // namespace astraguard::http
