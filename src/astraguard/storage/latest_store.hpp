#pragma once
// LatestTelemetryStore: the latest record of each satellite, kept for `ttl` after it arrived
// (GET /api/v1/satellites).
//
// In memory always: a map from satellite to its latest record, sharded by hash (one mutex per
// shard), at most `capacity` satellites; a full shard first drops expired entries, then the
// least recently received one.
//
// With a Redis client also in Redis, shared by every instance: `astraguard:latest:<satellite>`
// (JSON, SET with EX = ttl) and the index `astraguard:latest_index` (sorted set of satellites,
// score = Unix ms received; entries older than the TTL are trimmed on each write), written in one
// round trip, and at most once per `write_interval` per satellite by this instance (a record
// arriving sooner updates memory only), so Redis sees at most satellites / write_interval writes
// per instance. List reads Redis (two round trips) and falls back to memory when Redis fails.
//
// Thread-safe: all methods may be called concurrently. The client must outlive it.

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "astraguard/kv/redis_client.hpp"

namespace astraguard::storage {

struct LatestTelemetry {
  std::string satellite_id;
  int64_t timestamp_ms = 0;  // the record's own time (Unix ms)
  int64_t received_ms = 0;   // when it was stored (Unix ms)
  std::vector<std::pair<std::string, double>> values;  // channel -> value, in input order
};

struct LatestOptions {
  std::chrono::seconds ttl{300};
  std::chrono::milliseconds write_interval{1000};  // Redis writes per satellite, at most
  size_t capacity = 10000;                         // satellites held in memory
};

class LatestTelemetryStore final {
 public:
  explicit LatestTelemetryStore(LatestOptions options, kv::RedisClient* redis = nullptr);

  void Put(LatestTelemetry record);
  // Every satellite whose latest record was received within the TTL before `now_ms`, sorted by
  // satellite id.
  std::vector<LatestTelemetry> List(int64_t now_ms) const;
  const LatestOptions& options() const { return options_; }

 private:
  struct Entry {
    LatestTelemetry record;
    int64_t written_ms = -1;  // last Redis write (-1: never)
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> sats;
  };
  static constexpr size_t kShards = 16;
  Result<std::vector<LatestTelemetry>> ListRedis(int64_t now_ms) const;

  const LatestOptions options_;
  const int64_t ttl_ms_;
  const size_t max_per_shard_;
  kv::RedisClient* const redis_;
  std::array<Shard, kShards> shards_;
};

// JSON of one record as stored in Redis, and back (nullopt when malformed).
std::string EncodeLatest(const LatestTelemetry& r);
std::optional<LatestTelemetry> DecodeLatest(std::string_view text);

}  // namespace astraguard::storage
