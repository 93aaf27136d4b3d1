#pragma once
// API keys: parsing of the key list (ASTRAGUARD_API_KEYS, `role:key,role:key`) and the key file
// (ASTRAGUARD_API_KEYS_FILE, one `role:key` or `role:sha256:<64 hex>` per line, `#` comments and
// blank lines allowed), and the SHA-256 digest keys are held as. A key is never kept in clear:
// parsing hashes it at once; the short id (first 8 hex digits of the digest) is what logs show.
// Errors name the item or line: unknown role, empty key, a key with spaces, commas or control
// characters, a malformed digest, a duplicate key; a missing file is an error, a file that
// others can read is a warning.
// Thread-safety: pure functions and values.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/http/role.hpp"

namespace astraguard::auth {

using Digest = std::array<uint8_t, 32>;  // SHA-256

Digest Sha256(std::string_view data);

struct ApiKey {
  Digest digest{};
  http::Role role = http::Role::kViewer;
  std::string id;  // first 8 hex digits of the digest: safe to log
};

// Auth settings, filled by config/ (ASTRAGUARD_API_KEYS, ASTRAGUARD_API_KEYS_FILE).
struct AuthConfig {
  std::vector<ApiKey> keys;           // no two with the same digest
  std::vector<std::string> warnings;  // logged at start (e.g. a world-readable key file)
  // Access control is on when there are keys; production without keys fails at start-up.
  bool enabled() const { return !keys.empty(); }
};

// `role:key` or `role:sha256:<hex>`; `where` prefixes errors ("item 2", "line 5").
Result<ApiKey> ParseKeyEntry(std::string_view entry, std::string_view where);

// Comma-separated entries (ASTRAGUARD_API_KEYS); empty items are errors.
Result<std::vector<ApiKey>> ParseKeyList(std::string_view list);

// The key file's text: one entry per line, blank lines and `#` comments skipped.
Result<std::vector<ApiKey>> ParseKeyFile(std::string_view text);

// Reads and parses the key file (at most 1 MiB). `warning` is set when others may read it.
Result<std::vector<ApiKey>> LoadKeyFile(const std::string& path, std::string& warning);

// Appends `more` to `keys`; a digest already present is an error naming `source`.
Status MergeKeys(std::vector<ApiKey>& keys, std::vector<ApiKey> more, std::string_view source);

}  // namespace astraguard::auth
