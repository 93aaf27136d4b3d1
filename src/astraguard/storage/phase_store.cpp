#include "astraguard/storage/phase_store.hpp"

#include <boost/json.hpp>

namespace astraguard::storage {
namespace json = boost::json;
namespace {

constexpr std::string_view kHistoryKey = "astraguard:phase:history";

// KEYS: history. ARGV: entry json.
constexpr std::string_view kInitScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], ARGV[1]) end
return 1
)lua";

// KEYS: history. ARGV: entry json, expected current ('' = any), limit.
constexpr std::string_view kAppendScript = R"lua(
local last = redis.call('LINDEX', KEYS[1], -1)
if ARGV[2] ~= '' and last and cjson.decode(last)['to'] ~= ARGV[2] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
return 1
)lua";

std::string Encode(const PhaseEntry& e) {
  return json::serialize(json::object{{"from", e.from},
                                      {"to", e.to},
                                      {"at", e.at_ms},
                                      {"forced", e.forced},
                                      {"automatic", e.automatic},
                                      {"reason", e.reason}});
}

Result<PhaseEntry> Decode(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  PhaseEntry e;
  if (o) {
    const auto* from = o->if_contains("from");
    const auto* to = o->if_contains("to");
    const auto* at = o->if_contains("at");
    const auto* forced = o->if_contains("forced");
    const auto* automatic = o->if_contains("automatic");
    const auto* reason = o->if_contains("reason");
    if (from && from->is_string() && to && to->is_string() && at && at->is_int64() && forced &&
        forced->is_bool() && automatic && automatic->is_bool() && reason && reason->is_string()) {
      e.from = std::string(from->get_string());
      e.to = std::string(to->get_string());
      e.at_ms = at->get_int64();
      e.forced = forced->get_bool();
      e.automatic = automatic->get_bool();
      e.reason = std::string(reason->get_string());
      return e;
    }
  }
  return Status::Error(Code::kInternal, "corrupt stored value: phase history entry");
}

}  // namespace

Status RedisPhaseStore::Initialize(const PhaseEntry& initial) {
  auto r = redis_.Run({"EVAL", std::string(kInitScript), "1", std::string(kHistoryKey),
                       Encode(initial)});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<PhaseEntry>> RedisPhaseStore::History(size_t limit) const {
  auto r = redis_.Run({"LRANGE", std::string(kHistoryKey), std::string("-").append(std::to_string(limit)), "-1"});
  if (!r.ok()) return r.status();
  std::vector<PhaseEntry> out;
  for (const auto& e : r->elements) {
    auto d = Decode(e.str);
    if (!d.ok()) return d.status();
    out.push_back(std::move(*d));
  }
  return out;
}

Result<bool> RedisPhaseStore::Append(const PhaseEntry& e, bool unconditional, size_t limit) {
  auto r = redis_.Run({"EVAL", std::string(kAppendScript), "1", std::string(kHistoryKey), Encode(e),
                       unconditional ? std::string() : e.from, std::to_string(limit)});
  if (!r.ok()) return r.status();
  return r->integer == 1;
}

}  // namespace astraguard::storage
