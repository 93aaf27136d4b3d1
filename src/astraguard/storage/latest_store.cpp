#include "astraguard/storage/latest_store.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>

namespace astraguard::storage {
namespace {

namespace json = boost::json;

constexpr std::string_view kPrefix = "astraguard:latest:";
constexpr std::string_view kIndex = "astraguard:latest_index";

}  // namespace

std::string EncodeLatest(const LatestTelemetry& r) {
  json::object values;
  for (const auto& [name, value] : r.values) values[name] = value;
  return json::serialize(json::object{{"satellite_id", r.satellite_id},
                                      {"timestamp_ms", r.timestamp_ms},
                                      {"received_ms", r.received_ms},
                                      {"values", std::move(values)}});
}

std::optional<LatestTelemetry> DecodeLatest(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  const json::value* sat = o.if_contains("satellite_id");
  const json::value* ts = o.if_contains("timestamp_ms");
  const json::value* rx = o.if_contains("received_ms");
  const json::value* values = o.if_contains("values");
  if (sat == nullptr || !sat->is_string() || ts == nullptr || !ts->is_int64() || rx == nullptr ||
      !rx->is_int64() || values == nullptr || !values->is_object()) {
    return std::nullopt;
  }
  LatestTelemetry r;
  r.satellite_id = std::string(sat->as_string());
  r.timestamp_ms = ts->as_int64();
  r.received_ms = rx->as_int64();
  for (const auto& kv : values->as_object()) {
    if (!kv.value().is_number()) return std::nullopt;
    r.values.emplace_back(std::string(kv.key()), kv.value().to_number<double>());
  }
  return r;
}

LatestTelemetryStore::LatestTelemetryStore(LatestOptions options, kv::RedisClient* redis)
    : options_(options),
      ttl_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(options.ttl).count()),
      max_per_shard_(std::max<size_t>(1, options.capacity / kShards)),
      redis_(redis) {}

void LatestTelemetryStore::Put(LatestTelemetry record) {
  Shard& shard = shards_[std::hash<std::string>()(record.satellite_id) % kShards];
  std::string encoded;  // set when this record goes to Redis
  const std::string satellite = record.satellite_id;
  const int64_t received_ms = record.received_ms;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.sats.find(record.satellite_id);
    if (it == shard.sats.end()) {
      if (shard.sats.size() >= max_per_shard_) {
        const int64_t now = record.received_ms;
        std::erase_if(shard.sats,
                      [&](const auto& e) { return now - e.second.record.received_ms >= ttl_ms_; });
        if (shard.sats.size() >= max_per_shard_) {
          auto oldest = std::min_element(shard.sats.begin(), shard.sats.end(),
                                         [](const auto& a, const auto& b) {
                                           return a.second.record.received_ms <
                                                  b.second.record.received_ms;
                                         });
          shard.sats.erase(oldest);
        }
      }
      it = shard.sats.emplace(record.satellite_id, Entry{}).first;
    }
    Entry& e = it->second;
    if (redis_ != nullptr &&
        (e.written_ms < 0 || record.received_ms - e.written_ms >= options_.write_interval.count())) {
      e.written_ms = record.received_ms;
      encoded = EncodeLatest(record);
    }
    e.record = std::move(record);
  }
  if (encoded.empty()) return;
  // A failed write is not retried: the next record of the satellite after the interval is.
  (void)redis_->Pipeline(
      {{"SET", std::string(kPrefix).append(satellite), std::move(encoded), "EX",
        std::to_string(options_.ttl.count())},
       {"ZADD", std::string(kIndex), std::to_string(received_ms), satellite},
       {"ZREMRANGEBYSCORE", std::string(kIndex), "-inf",
        std::string("(").append(std::to_string(received_ms - ttl_ms_))}});
}

Result<std::vector<LatestTelemetry>> LatestTelemetryStore::ListRedis(int64_t now_ms) const {
  auto ids = redis_->Run({"ZRANGEBYSCORE", std::string(kIndex),
                          std::string("(").append(std::to_string(now_ms - ttl_ms_)), "+inf"});
  if (!ids.ok()) return ids.status();
  std::vector<LatestTelemetry> out;
  if (ids->elements.empty()) return out;
  kv::Command mget{"MGET"};
  for (const auto& id : ids->elements) mget.push_back(std::string(kPrefix).append(id.str));
  auto records = redis_->Run(mget);
  if (!records.ok()) return records.status();
  for (const auto& r : records->elements) {
    if (r.nil()) continue;  // expired since
    if (auto rec = DecodeLatest(r.str)) out.push_back(std::move(*rec));
  }
  return out;
}

std::vector<LatestTelemetry> LatestTelemetryStore::List(int64_t now_ms) const {
  std::vector<LatestTelemetry> out;
  bool from_redis = false;
  if (redis_ != nullptr) {
    if (auto shared = ListRedis(now_ms); shared.ok()) {
      out = std::move(*shared);
      from_redis = true;
    }
  }
  if (!from_redis) {
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (const auto& [sat, e] : shard.sats) {
        if (now_ms - e.record.received_ms < ttl_ms_) out.push_back(e.record);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.satellite_id < b.satellite_id;
  });
  return out;
}

}  // namespace astraguard::storage
