#pragma once
// RedisAnomalyStore: the anomaly history in Redis, shared by every instance on the same Redis,
// with a degraded mode that loses nothing acknowledged.
//
// Keys (the table in storage/README.md):
//   astraguard:anomaly:<id>           string  the record (record_json.hpp), without feedback
//   astraguard:anomaly_feedback:<id>  string  its feedback
//   astraguard:anomaly_index          zset    every id, score 0: lexicographic order = time order
//   astraguard:feedback_counts        hash    confirmed, false_positive (labelled anomalies)
// Append, feedback and eviction (beyond `capacity`, oldest first) are single Lua scripts, so
// they are atomic and idempotent (a replayed write leaves the same state).
//
// Ids never depend on Redis: "an-<16 hex digits of the wall clock in µs, strictly increasing per
// instance>-<instance>" (instance: 8 hex digits, random per process), so ids sort by time and an
// anomaly acknowledged while Redis is down keeps its id after replay. Cursors are "k<id>".
//
// Degraded mode: every record is also kept in a bounded in-memory copy (`local`). When a Redis
// call fails (down, slower than the client's budget, breaker open, chaos), the store turns
// degraded: reads answer from the local copy (anomalies this instance saw; feedback counts as
// this instance knows them), writes go to the local copy and to a bounded replay buffer, in
// order. A background thread probes Redis every `probe_interval`; once it answers, the buffer is
// replayed in order and the store is healthy again. A write that finds the buffer full is
// dropped from the replay (still in the local copy), counted and logged. Stats() and /health
// report the last error and since when.
//
// Spool (optional `spool_path`): every buffered write is also appended, as one JSON line, to a
// file (write(2), no fsync: it survives a crash or kill -9 of the process, not of the host); the
// file is emptied once the buffer is replayed. At construction a non-empty spool (left by a
// killed process) is loaded into the buffer and the local copy, and replayed like an outage's
// writes (replaying is idempotent, so a write replayed twice does no harm). One file per
// instance: two processes must not share it.
//
// Metrics (resolved once): astra_redis_degraded (gauge, 1 while answering from memory),
// astra_redis_degraded_total (entries into degraded mode), astra_redis_replay_pending (gauge),
// astra_redis_replayed_total, astra_redis_replay_dropped_total.
//
// Thread-safe: all methods may be called concurrently. The client, clock, registry and logger
// must outlive the store; the destructor stops the probe thread.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "astraguard/common/clock.hpp"
#include "astraguard/kv/redis_client.hpp"
#include "astraguard/obs/log/logger.hpp"
#include "astraguard/storage/anomaly_store.hpp"

namespace astraguard::storage {

struct RedisStoreOptions {
  size_t capacity = 100'000;        // anomalies kept in Redis and in the local copy
  size_t replay_capacity = 10'000;  // writes buffered while Redis is unreachable
  std::chrono::milliseconds probe_interval{100};
  std::string instance;  // part of every id; 8 lowercase hex digits
  std::string spool_path;  // empty: the replay buffer lives in memory only
};

class RedisAnomalyStore final : public AnomalyStore {
 public:
  // `local_metrics` (may be null) are the memory-engine metrics of the local copy.
  RedisAnomalyStore(kv::RedisClient& redis, const RedisStoreOptions& options, const Clock& clock,
                    prometheus::Registry& registry, obs::Logger& logger,
                    MemoryEngineMetrics* local_metrics = nullptr);
  ~RedisAnomalyStore() override;

  Result<std::string> Append(AnomalyRecord record) override;
  Result<AnomalyRecord> Get(std::string_view id) const override;
  Result<AnomalyPage> Query(const AnomalyQuery& query) const override;
  Result<FeedbackUpdate> SetFeedback(std::string_view id, Feedback feedback) override;
  StoreStats Stats() const override;

  bool degraded() const { return degraded_.load(std::memory_order_acquire); }
  std::string last_error() const;  // of the last failed Redis call ("" before any)
  size_t pending() const;

 private:
  struct PendingWrite {
    std::optional<AnomalyRecord> append;  // else a feedback write
    std::string id;                       // of the anomaly appended or labelled
    Feedback feedback;
  };

  std::string NewId();
  Status WriteAppend(const AnomalyRecord& r) const;
  Result<FeedbackUpdate> WriteFeedback(std::string_view id, const Feedback& f) const;
  Status Write(const PendingWrite& w) const;
  // Turns degraded (logs once per outage) and remembers the error.
  void MarkDegraded(const Status& error) const;
  // Queues a write for replay (or counts it as dropped). Requires mu_.
  void EnqueueLocked(PendingWrite w);
  void LoadSpool();
  void ProbeLoop();
  void TryRecover();

  kv::RedisClient& redis_;
  const RedisStoreOptions options_;
  const Clock& clock_;
  obs::Logger& logger_;
  InMemoryAnomalyStore local_;
  std::atomic<int64_t> last_id_us_{0};
  std::atomic<int64_t> appended_{0};
  mutable std::atomic<int64_t> evicted_{0};

  prometheus::Gauge& degraded_gauge_;
  prometheus::Counter& degraded_total_;
  prometheus::Gauge& pending_gauge_;
  prometheus::Counter& replayed_total_;
  prometheus::Counter& dropped_total_;

  mutable std::atomic<bool> degraded_{false};
  mutable std::mutex mu_;
  std::deque<PendingWrite> pending_;          // guarded by mu_; oldest first
  mutable std::string last_error_;            // guarded by mu_
  mutable int64_t degraded_since_ms_ = 0;     // guarded by mu_
  mutable int64_t dropped_this_outage_ = 0;   // guarded by mu_
  int64_t replayed_this_outage_ = 0;          // guarded by mu_
  int spool_fd_ = -1;                         // writes guarded by mu_

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread prober_;
};

}  // namespace astraguard::storage
