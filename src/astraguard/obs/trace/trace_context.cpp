#include "astraguard/obs/trace/trace_context.hpp"

#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <thread>

namespace astraguard::obs {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The two hex digits of every byte value, for WriteHex.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kHex[b >> 4];
    t[2 * b + 1] = kHex[b & 0xf];
  }
  return t;
}();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid in traceparent
}

template <std::size_t N>
bool ParseHex(std::string_view s, std::array<std::uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = HexValue(s[2 * i]);
    int lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <std::size_t N>
std::string ToHex(const std::array<std::uint8_t, N>& b) {
  std::string s(2 * N, '0');
  WriteHex(s.data(), b.data(), N);
  return s;
}

template <std::size_t N>
bool AllZero(const std::array<std::uint8_t, N>& b) {
  static_assert(N % 8 == 0);
  std::uint64_t any = 0;
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    any |= w;
  }
  return any == 0;
}

// xoshiro256** by Blackman and Vigna (public domain algorithm), seeded with splitmix64.
class Xoshiro256 {
 public:
  Xoshiro256() {
    std::random_device rd;
    std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    seed ^= static_cast<std::uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    seed ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9E3779B97F4A7C15ULL;
    for (auto& w : s_) w = SplitMix(seed);
  }
  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

Xoshiro256& Rng() {
  thread_local Xoshiro256 rng;
  return rng;
}

void Store64(std::uint8_t* p, std::uint64_t v) {
  v = __builtin_bswap64(v);  // big-endian byte order (x86-64 is little-endian)
  std::memcpy(p, &v, 8);
}

thread_local const SpanContext* t_current = nullptr;

}  // namespace

bool TraceId::IsValid() const { return !AllZero(bytes); }
std::string TraceId::Hex() const { return ToHex(bytes); }
std::uint64_t TraceId::Low64() const {
  std::uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = v << 8 | bytes[i];
  return v;
}
bool SpanId::IsValid() const { return !AllZero(bytes); }
std::string SpanId::Hex() const { return ToHex(bytes); }

std::optional<SpanContext> ParseTraceparent(std::string_view v) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2) = 55 chars
  if (v.size() < 55) return std::nullopt;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  std::array<std::uint8_t, 1> version{};
  std::array<std::uint8_t, 1> flags{};
  if (!ParseHex(v.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  if (version[0] == 0x00 && v.size() != 55) return std::nullopt;
  if (v.size() > 55 && v[55] != '-') return std::nullopt;
  SpanContext ctx;
  if (!ParseHex(v.substr(3, 32), ctx.trace_id.bytes)) return std::nullopt;
  if (!ParseHex(v.substr(36, 16), ctx.span_id.bytes)) return std::nullopt;
  if (!ParseHex(v.substr(53, 2), flags)) return std::nullopt;
  if (!ctx.IsValid()) return std::nullopt;
  ctx.trace_flags = flags[0] & kTraceFlagSampled;
  ctx.is_remote = true;
  return ctx;
}

std::optional<SpanContext> ExtractW3C(std::string_view traceparent, std::string_view tracestate) {
  auto ctx = ParseTraceparent(traceparent);
  if (!ctx) return std::nullopt;
  bool ok = tracestate.size() <= 512;
  for (char c : tracestate) {
    if (c < 0x20 || c > 0x7e) {
      ok = false;
      break;
    }
  }
  if (ok) ctx->trace_state = std::string(tracestate);
  return ctx;
}

char* WriteHex(char* out, const std::uint8_t* bytes, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i, out += 2) std::memcpy(out, &kHexPairs[2 * bytes[i]], 2);
  return out;
}

char* WriteTraceparent(const SpanContext& ctx, char* out) {
  *out++ = '0';
  *out++ = '0';
  *out++ = '-';
  out = WriteHex(out, ctx.trace_id.bytes.data(), ctx.trace_id.bytes.size());
  *out++ = '-';
  out = WriteHex(out, ctx.span_id.bytes.data(), ctx.span_id.bytes.size());
  *out++ = '-';
  return WriteHex(out, &ctx.trace_flags, 1);
}

std::string FormatTraceparent(const SpanContext& ctx) {
  std::string s(kTraceparentSize, '-');
  WriteTraceparent(ctx, s.data());
  return s;
}

TraceId NewTraceId() {
  TraceId id;
  do {
    Store64(id.bytes.data(), Rng().Next());
    Store64(id.bytes.data() + 8, Rng().Next());
  } while (!id.IsValid());
  return id;
}

SpanId NewSpanId() {
  SpanId id;
  do {
    Store64(id.bytes.data(), Rng().Next());
  } while (!id.IsValid());
  return id;
}

const SpanContext* CurrentSpanContext() { return t_current; }

namespace detail {
const SpanContext* SwapCurrentSpanContext(const SpanContext* ctx) {
  const SpanContext* prev = t_current;
  t_current = ctx;
  return prev;
}
}  // namespace detail

}  // namespace astraguard::obs
