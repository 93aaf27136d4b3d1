// API key files (auth::ParseKeyFile, what ASTRAGUARD_API_KEYS_FILE holds). A file that parses
// gives keys with a role, a digest and the digest's short id, and no two keys share a digest.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "astraguard/auth/api_keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace auth = astraguard::auth;
  auto keys = auth::ParseKeyFile(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!keys.ok()) return 0;
  std::set<auth::Digest> seen;
  for (const auto& k : *keys) {
    char id[9];
    std::snprintf(id, sizeof id, "%02x%02x%02x%02x", k.digest[0], k.digest[1], k.digest[2],
                  k.digest[3]);
    if (k.id != id || !seen.insert(k.digest).second) std::abort();
  }
  return 0;
}
