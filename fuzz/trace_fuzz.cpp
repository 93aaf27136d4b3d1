// W3C trace context headers (obs::ExtractW3C, run on every request's traceparent and
// tracestate). Input: "<traceparent>\n<tracestate>". A version-00 traceparent that parses
// formats back to the same ids (flags other than sampled are dropped, as the spec allows).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "astraguard/obs/trace/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace obs = astraguard::obs;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string_view parent = in.substr(0, nl);
  const std::string_view state = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  auto ctx = obs::ExtractW3C(parent, state);
  if (!ctx) return 0;
  if (!ctx->IsValid() || ctx->trace_state.size() > 512) std::abort();
  if (parent.substr(0, 2) == "00" && obs::FormatTraceparent(*ctx).substr(0, 53) != parent.substr(0, 53)) {
    std::abort();
  }
  return 0;
}
