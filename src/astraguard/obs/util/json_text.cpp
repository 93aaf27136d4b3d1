#include "astraguard/obs/util/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace astraguard::obs {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the byte there does not start
// one. Implements the well-formed byte sequences table of Unicode 15 section 3.9.
std::size_t ValidUtf8Length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return left >= 3 && cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    return left >= 3 && cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return left >= 3 && cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return left >= 4 && cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return left >= 4 && cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return left >= 4 && cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

constexpr std::uint64_t kOnes = ~std::uint64_t{0} / 255;  // 0x0101...01
constexpr std::uint64_t kHighs = kOnes * 0x80;            // 0x8080...80

std::uint64_t Load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
// SWAR tests on 8 bytes at once (Bit Twiddling Hacks, "determine if a word has a byte ...").
bool HasZeroByte(std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; }
bool HasByte(std::uint64_t v, unsigned char b) { return HasZeroByte(v ^ (kOnes * b)); }
bool HasByteLess(std::uint64_t v, unsigned char n) { return ((v - kOnes * n) & ~v & kHighs) != 0; }
// Per byte: printable ASCII that JSON leaves unescaped (not '"' or '\\').
constexpr auto kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();
bool IsPlain(char c) { return kPlain[static_cast<unsigned char>(c)]; }
// True when all 8 bytes are plain (kPlain).
bool PlainAscii8(std::uint64_t v) {
  return (v & kHighs) == 0 && !HasByteLess(v, 0x20) && !HasByte(v, '"') && !HasByte(v, '\\') &&
         !HasByte(v, 0x7f);
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Fast path: copy a run of plain printable ASCII.
    std::size_t j = i;
    while (j + 8 <= s.size() && PlainAscii8(Load8(s.data() + j))) j += 8;
    while (j < s.size() && IsPlain(s[j])) ++j;
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
      }
      ++i;
      continue;
    }
    const std::size_t n = ValidUtf8Length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

bool IsPlainJsonText(std::string_view s) {
  // One table lookup per byte: cheaper than the 8-byte SWAR tests for the short strings
  // (methods, routes, addresses) this is used on.
  bool plain = true;
  for (char c : s) plain &= IsPlain(c);
  return plain;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

void AppendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendJsonNumber(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendJsonNumber(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i + 8 <= s.size() && (Load8(s.data() + i) & kHighs) == 0) i += 8;
    if (i >= s.size()) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = ValidUtf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = ValidUtf8Length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace astraguard::obs
