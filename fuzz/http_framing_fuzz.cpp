// HTTP/1.1 request framing as the server reads it: the bytes go through Beast's request parser
// with the server's default limits (http::ServerOptions) and, once a head is parsed, through the
// server's own framing checks (http::FramingError). Never a crash; a refusal is a 4xx or 501.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdlib>

#include "astraguard/http/framing.hpp"
#include "astraguard/http/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bhttp = boost::beast::http;
  const astraguard::http::ServerOptions options;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  parser.eager(false);
  boost::asio::const_buffer in(data, size);
  boost::beast::error_code ec;
  // Head first, as the server does (async_read_header), then the checks, then the body.
  while (in.size() > 0 && !parser.is_header_done()) {
    const size_t used = parser.put(in, ec);
    if (ec == bhttp::error::need_more) return 0;
    if (ec) return 0;
    in += used;
    if (used == 0) return 0;
  }
  if (!parser.is_header_done()) return 0;
  const auto [status, detail] = astraguard::http::FramingError(parser.get());
  if (status != 0 && (status < 400 || status > 501 || detail.empty())) std::abort();
  if (status != 0) return 0;
  parser.eager(true);
  while (in.size() > 0 && !parser.is_done()) {
    const size_t used = parser.put(in, ec);
    if (ec || used == 0) return 0;
    in += used;
  }
  return 0;
}
