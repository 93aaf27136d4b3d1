#include "astraguard/storage/cooldown_store.hpp"

#include <charconv>

namespace astraguard::storage {

Result<std::optional<int64_t>> RedisCooldownStore::Claim(std::string_view satellite,
                                                         std::string_view action, int64_t now_ms,
                                                         int64_t cooldown_ms) {
  std::string key("astraguard:cooldown:");
  key.append(satellite).append(":").append(action);
  auto r = redis_.Run({"SET", std::move(key), std::to_string(now_ms), "NX", "PX",
                       std::to_string(cooldown_ms < 1 ? 1 : cooldown_ms), "GET"});
  if (!r.ok()) return r.status();
  if (r->nil()) return std::optional<int64_t>();
  int64_t claimed = 0;
  auto [end, ec] = std::from_chars(r->str.data(), r->str.data() + r->str.size(), claimed);
  if (ec != std::errc() || end != r->str.data() + r->str.size()) {
    return Status::Error(Code::kInternal, "corrupt stored value: cooldown claim");
  }
  return std::optional<int64_t>(claimed);
}

}  // namespace astraguard::storage
