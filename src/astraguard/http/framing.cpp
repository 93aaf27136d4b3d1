#include "astraguard/http/framing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace astraguard::http {

namespace bhttp = boost::beast::http;

std::pair<int, std::string> FramingError(const bhttp::request<bhttp::string_body>& req) {
  const auto hosts = req.count(bhttp::field::host);
  if (req.version() >= 11 && hosts == 0) return {400, "HTTP/1.1 request without a Host header"};
  if (hosts > 1) return {400, "more than one Host header"};
  auto [first, last] = req.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return {0, {}};
  if (req.version() < 11) return {400, "Transfer-Encoding in an HTTP/1.0 request"};
  if (req.count(bhttp::field::content_length) > 0) {
    return {400, "both Transfer-Encoding and Content-Length"};
  }
  std::vector<std::string> codings;
  for (auto it = first; it != last; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item.empty()) continue;
      std::string lower(item);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      codings.push_back(std::move(lower));
    }
  }
  if (codings.empty() || codings.back() != "chunked") {
    return {400, "chunked must be the final transfer coding"};
  }
  if (codings.size() == 1) return {0, {}};
  const auto before_last = codings.end() - 1;
  if (std::find(codings.begin(), before_last, "chunked") != before_last) {
    return {400, "chunked applied more than once"};
  }
  return {501, fmt::format("transfer coding '{}' is not supported", codings.front().substr(0, 64))};
}

}  // namespace astraguard::http
