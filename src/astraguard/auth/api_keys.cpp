#include "astraguard/auth/api_keys.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include "astraguard/common/file.hpp"

namespace astraguard::auth {
namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ShortId(const Digest& d) {
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", d[0], d[1], d[2], d[3]);
}

constexpr size_t kMaxKeyBytes = 256;
constexpr size_t kMaxKeyFileBytes = 1 << 20;

}  // namespace

Digest Sha256(std::string_view data) {
  Digest out{};
  // The one-shot SHA256() needs no digest context (EVP_Digest allocates one per call).
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

Result<ApiKey> ParseKeyEntry(std::string_view entry, std::string_view where) {
  entry = Trim(entry);
  if (entry.empty()) return Invalid(fmt::format("{}: empty entry (expected role:key)", where));
  const size_t colon = entry.find(':');
  if (colon == std::string_view::npos) {
    return Invalid(fmt::format("{}: expected role:key", where));
  }
  const std::string_view role_name = entry.substr(0, colon);
  const auto role = http::ParseKeyRole(role_name);
  if (!role) {
    return Invalid(fmt::format("{}: unknown role '{}' (viewer, operator or admin)", where,
                               role_name.substr(0, 32)));
  }
  std::string_view key = entry.substr(colon + 1);
  if (key.empty()) return Invalid(fmt::format("{}: empty key for role {}", where, role_name));
  ApiKey out;
  out.role = *role;
  constexpr std::string_view kHashed = "sha256:";
  if (key.substr(0, kHashed.size()) == kHashed) {
    key.remove_prefix(kHashed.size());
    if (key.size() != 64) {
      return Invalid(
          fmt::format("{}: sha256 digest must be 64 hex digits, got {}", where, key.size()));
    }
    for (size_t i = 0; i < 32; ++i) {
      const int hi = HexValue(key[2 * i]);
      const int lo = HexValue(key[2 * i + 1]);
      if (hi < 0 || lo < 0) return Invalid(fmt::format("{}: sha256 digest is not hex", where));
      out.digest[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
  } else {
    // The key itself is never quoted in an error.
    if (key.size() > kMaxKeyBytes) {
      return Invalid(fmt::format("{}: key longer than {} bytes", where, kMaxKeyBytes));
    }
    for (char c : key) {
      if (c <= ' ' || c > '~' || c == ',') {
        return Invalid(
            fmt::format("{}: key must be printable ASCII without spaces or commas", where));
      }
    }
    out.digest = Sha256(key);
  }
  out.id = ShortId(out.digest);
  return out;
}

Status MergeKeys(std::vector<ApiKey>& keys, std::vector<ApiKey> more, std::string_view source) {
  for (ApiKey& k : more) {
    for (const ApiKey& have : keys) {
      if (have.digest == k.digest) {
        return Invalid(fmt::format("{}: duplicate key (id {})", source, k.id));
      }
    }
    keys.push_back(std::move(k));
  }
  return Status::Ok();
}

Result<std::vector<ApiKey>> ParseKeyList(std::string_view list) {
  std::vector<ApiKey> keys;
  size_t item = 1;
  for (size_t start = 0;; ++item) {
    const size_t comma = list.find(',', start);
    const std::string where = fmt::format("item {}", item);
    auto key = ParseKeyEntry(list.substr(start, comma - start), where);
    if (!key.ok()) return key.status();
    if (Status st = MergeKeys(keys, {std::move(*key)}, where); !st.ok()) return st;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return keys;
}

Result<std::vector<ApiKey>> ParseKeyFile(std::string_view text) {
  std::vector<ApiKey> keys;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    const std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = fmt::format("line {}", line_no);
    auto key = ParseKeyEntry(line, where);
    if (!key.ok()) return key.status();
    if (Status st = MergeKeys(keys, {std::move(*key)}, where); !st.ok()) return st;
  }
  if (keys.empty()) return Invalid("no keys in the file");
  return keys;
}

Result<std::vector<ApiKey>> LoadKeyFile(const std::string& path, std::string& warning) {
  auto text = ReadRegularFile(path, kMaxKeyFileBytes, "key file");
  if (!text.ok()) return Invalid(text.status().message());
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    warning = fmt::format("key file {} is accessible to other users (mode {:o}); chmod 600 it",
                          path, st.st_mode & 0777);
  }
  auto keys = ParseKeyFile(*text);
  if (!keys.ok()) return Invalid(fmt::format("{}: {}", path, keys.status().message()));
  return keys;
}

}  // namespace astraguard::auth
