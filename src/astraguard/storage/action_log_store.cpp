#include "astraguard/storage/action_log_store.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace astraguard::storage {
namespace {

constexpr std::string_view kKey = "astraguard:recovery_actions";

bool OfSatellite(const std::string& entry, std::string_view satellite) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(entry, ec);
  if (ec || !v.is_object()) return false;
  const auto* sat = v.as_object().if_contains("satellite_id");
  return sat != nullptr && sat->is_string() && sat->as_string() == satellite;
}

}  // namespace

Status RedisActionLogStore::Push(std::string entry) {
  auto r = redis_.Pipeline({{"LPUSH", std::string(kKey), std::move(entry)},
                            {"LTRIM", std::string(kKey), "0", std::to_string(capacity_ - 1)}});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<std::string>> RedisActionLogStore::Recent(
    size_t limit, std::optional<std::string_view> satellite) {
  const size_t last = satellite ? capacity_ : std::min(limit, capacity_);
  auto r = redis_.Run({"LRANGE", std::string(kKey), "0", std::to_string(last - 1)});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (auto& e : r->elements) {
    if (out.size() >= limit) break;
    if (!satellite || OfSatellite(e.str, *satellite)) out.push_back(std::move(e.str));
  }
  return out;
}

}  // namespace astraguard::storage
