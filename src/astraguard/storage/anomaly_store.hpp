#pragma once
// AnomalyStore: the anomaly history. Every stored anomaly gets an id from the store; the history
// can be queried with filters and cursor pagination (newest first), read by id, and corrected by
// operator feedback; the store also keeps the feedback counts (confirmed / false positive), so
// that instances sharing a store share them. InMemoryAnomalyStore is the embedded, bounded
// default; RedisAnomalyStore (redis_anomaly_store.hpp: shared, durable) implements the same
// interface.
//
// Thread-safety: implementations must allow all methods to be called concurrently.
// Errors are values: kNotFound (unknown or evicted id), kInvalidArgument (bad cursor or limit),
// kUnavailable (a backend is down; the caller degrades, it is not a bug).

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unordered_map>

#include "astraguard/common/status.hpp"
#include "astraguard/storage/memory_metrics.hpp"

namespace astraguard::storage {

inline constexpr int kMaxQueryLimit = 1000;

enum class FeedbackLabel { kFalsePositive, kConfirmed };
std::string_view FeedbackLabelName(FeedbackLabel l);  // "false_positive" | "confirmed"
std::optional<FeedbackLabel> ParseFeedbackLabel(std::string_view s);

struct Feedback {
  FeedbackLabel label = FeedbackLabel::kConfirmed;
  std::string note;
  int64_t at_ms = 0;  // Unix ms when given
};

struct StoredContribution {
  std::string channel;
  double value = 0.0;
  double score = 0.0;
  std::string reason;
};

struct AnomalyRecord {
  std::string id;  // assigned by Append; ignored on input
  std::string satellite_id;
  int64_t timestamp_ms = 0;     // telemetry timestamp (Unix ms)
  int64_t recorded_ms = 0;      // when the service processed it (Unix ms)
  double anomaly_score = 0.0;   // detector score [0, 1]
  double severity_score = 0.0;  // after the phase's threshold multiplier [0, 1]
  int severity_rank = 0;        // 0 LOW, 1 MEDIUM, 2 HIGH, 3 CRITICAL
  std::string severity_level;   // "LOW" ... "CRITICAL"
  double confidence = 0.0;
  std::string anomaly_type;  // "power_fault" ...
  std::string classification_reason;
  std::string mission_phase;
  std::string recommended_action;
  std::string action_status;  // "recommended" | "executed" | "suppressed" | "failed"
  bool escalated = false;
  int recurrence_count = 0;
  std::string reasoning;
  std::vector<std::pair<std::string, double>> values;  // the record's channel values
  std::vector<StoredContribution> contributing;
  std::optional<Feedback> feedback;
};

struct AnomalyQuery {
  std::optional<std::string> satellite_id;
  std::optional<int64_t> from_ms, to_ms;     // inclusive, on timestamp_ms
  std::optional<int> severity_rank_min;      // 0..3
  std::optional<double> severity_score_min;  // [0, 1]
  std::optional<std::string> anomaly_type;
  int limit = 100;                    // 1..kMaxQueryLimit
  std::optional<std::string> cursor;  // next_cursor of a previous page
};

struct AnomalyPage {
  std::vector<AnomalyRecord> items;        // newest first
  std::optional<std::string> next_cursor;  // set when more matching items may follow
};

struct FeedbackCounts {
  int64_t confirmed = 0;
  int64_t false_positive = 0;
};

struct FeedbackUpdate {
  AnomalyRecord record;                   // after the update
  std::optional<FeedbackLabel> previous;  // label it replaced, if any
  FeedbackCounts counts;                  // labelled anomalies after the update
};

struct StoreStats {
  std::string backend;  // "memory", "redis"
  bool healthy = true;
  int64_t size = 0;
  int64_t capacity = 0;  // 0 = unbounded
  int64_t appended_total = 0;  // by this instance
  int64_t evicted_total = 0;
  FeedbackCounts feedback;
  std::string last_error;  // Redis only, when not healthy: why (answering from memory)
};

class AnomalyStore {
 public:
  virtual ~AnomalyStore() = default;
  // Stores a copy with a fresh id and returns the id.
  virtual Result<std::string> Append(AnomalyRecord record) = 0;
  virtual Result<AnomalyRecord> Get(std::string_view id) const = 0;
  virtual Result<AnomalyPage> Query(const AnomalyQuery& query) const = 0;
  // Sets (or replaces) the feedback of an anomaly.
  virtual Result<FeedbackUpdate> SetFeedback(std::string_view id, Feedback feedback) = 0;
  virtual StoreStats Stats() const = 0;
};

// Bounded in-memory store: keeps the newest `capacity` anomalies (older ones are evicted).
// Ids are "an-<decimal sequence>", unless the record comes with an id (the Redis store's local
// copy keeps Redis's ids); cursors are "c<sequence>", or with `id_cursors` (for the Redis store's
// copy, whose ids sort by time) "k<last id returned>" as RedisAnomalyStore's, so that paging goes
// on across a switch between Redis and the copy. Queries scan newest to oldest, so their cost is
// bounded by the capacity. `metrics` (may be null; must outlive the store) counts Get hits and
// misses and the approximate bytes held. Thread-safe (shared mutex: concurrent readers).
class InMemoryAnomalyStore final : public AnomalyStore {
 public:
  explicit InMemoryAnomalyStore(size_t capacity = 100'000, MemoryEngineMetrics* metrics = nullptr,
                                bool id_cursors = false);

  Result<std::string> Append(AnomalyRecord record) override;
  Result<AnomalyRecord> Get(std::string_view id) const override;
  Result<AnomalyPage> Query(const AnomalyQuery& query) const override;
  Result<FeedbackUpdate> SetFeedback(std::string_view id, Feedback feedback) override;
  StoreStats Stats() const override;

  // Replay of a durable log (anomaly_log.hpp): stores `record` under its own id "an-<seq>",
  // which must be the next sequence, or any sequence when the store is empty (a compacted log
  // starts past 1); kInvalidArgument otherwise.
  Status Restore(AnomalyRecord record);
  // Every stored anomaly, oldest first (log compaction).
  std::vector<AnomalyRecord> Snapshot() const;

 private:
  // Index of sequence `seq` in items_, or -1 if evicted / not yet assigned.
  int64_t IndexOf(uint64_t seq) const;
  // Appends `record` (its id set) as sequence `seq` and evicts beyond the capacity; under mu_.
  void PushLocked(AnomalyRecord record, uint64_t seq);

  const size_t capacity_;
  MemoryEngineMetrics* const metrics_;
  const bool id_cursors_;
  mutable std::shared_mutex mu_;
  std::deque<AnomalyRecord> items_;  // oldest first; items_[i] has sequence first_seq_ + i
  std::unordered_map<std::string, uint64_t> seq_by_id_;
  uint64_t first_seq_ = 1;
  uint64_t next_seq_ = 1;
  int64_t evicted_ = 0;
  int64_t bytes_ = 0;  // approximate size of items_
  FeedbackCounts counts_;
};

// True when `r` passes every filter of `q` (limit and cursor aside). Shared by all implementations.
bool MatchesQuery(const AnomalyRecord& r, const AnomalyQuery& q);

// Validates a query's own fields (limit range, severity bounds, from <= to). Shared by all
// implementations and by the HTTP mapping.
Status ValidateQuery(const AnomalyQuery& q);

}  // namespace astraguard::storage
