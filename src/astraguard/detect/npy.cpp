#include "astraguard/detect/npy.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace astraguard::detect {
namespace {

Status Bad(std::string message) { return Status::Error(Code::kInvalidArgument, "npy: " + message); }

// Extracts the value text following `'key':` in the header dict, up to the next top-level comma
// or closing brace (tuples kept whole).
std::string_view HeaderField(std::string_view header, std::string_view key) {
  std::string quoted(1, '\'');  // built by appending (operator+ trips GCC 12's -Wrestrict)
  quoted.append(key).push_back('\'');
  std::size_t pos = header.find(quoted);
  if (pos == std::string_view::npos) return {};
  pos = header.find(':', pos + quoted.size());
  if (pos == std::string_view::npos) return {};
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  int depth = 0;
  std::size_t end = pos;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  if (depth == 0 && end < header.size() && header[end] == ')') ++end;
  return header.substr(pos, end - pos);
}

}  // namespace

Result<Matrix> ParseNpy(const std::string& bytes) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    return Bad("missing \\x93NUMPY magic");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Bad("truncated header");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    header_start = 12;
  } else {
    return Bad("unsupported version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) return Bad("truncated header");
  std::string_view header(bytes.data() + header_start, header_len);
  std::string_view descr = HeaderField(header, "descr");
  if (descr != "'<f8'" && descr != "'float64'") {
    return Bad("dtype " + std::string(descr) + " is not little-endian float64");
  }
  if (HeaderField(header, "fortran_order") != "False")
    return Bad("fortran_order arrays unsupported");
  std::string_view shape = HeaderField(header, "shape");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') return Bad("bad shape");
  std::vector<std::size_t> dims;
  std::size_t cur = 0;
  bool have = false;
  for (char c : shape.substr(1, shape.size() - 2)) {
    if (c >= '0' && c <= '9') {
      if (__builtin_mul_overflow(cur, std::size_t{10}, &cur) ||
          __builtin_add_overflow(cur, static_cast<std::size_t>(c - '0'), &cur)) {
        return Bad("shape dimension too large");
      }
      have = true;
    } else if (c == ',') {
      if (have) dims.push_back(cur);
      cur = 0;
      have = false;
    }
  }
  if (have) dims.push_back(cur);
  if (dims.empty() || dims.size() > 2) return Bad("only 1-D and 2-D arrays are supported");
  Matrix m;
  m.rows = dims[0];
  m.cols = dims.size() == 2 ? dims[1] : 1;
  // Callers read column 0 as the value and cols - 1 inputs: a (n, 0) array would wrap that.
  if (m.cols == 0) return Bad("shape " + std::string(shape) + " has no columns");
  // Overflow-checked: a shape whose product wraps around must not pass the size check.
  std::size_t count = 0;
  std::size_t need = 0;
  if (__builtin_mul_overflow(m.rows, m.cols, &count) ||
      __builtin_mul_overflow(count, sizeof(double), &need)) {
    return Bad("shape " + std::string(shape) + " is too large");
  }
  const std::size_t offset = header_start + header_len;
  if (bytes.size() - offset != need) {
    return Bad("payload is " + std::to_string(bytes.size() - offset) + " bytes, shape needs " +
               std::to_string(need));
  }
  m.data.resize(count);
  std::memcpy(m.data.data(), bytes.data() + offset, count * sizeof(double));
  return m;
}

Result<Matrix> LoadNpyGz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Error(Code::kNotFound, "cannot open " + path);
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int errnum = 0;
      std::string msg = gzerror(f, &errnum);
      gzclose(f);
      return Status::Error(Code::kInvalidArgument, path + ": " + msg);
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
    if (bytes.size() > kMaxNpyBytes) {  // a gzip bomb stops here, not at the memory limit
      gzclose(f);
      return Status::Error(Code::kInvalidArgument,
                           path + ": more than " + std::to_string(kMaxNpyBytes) + " bytes");
    }
  }
  gzclose(f);
  auto parsed = ParseNpy(bytes);
  if (!parsed.ok())
    return Status::Error(parsed.status().code(), path + ": " + parsed.status().message());
  return parsed;
}

}  // namespace astraguard::detect
