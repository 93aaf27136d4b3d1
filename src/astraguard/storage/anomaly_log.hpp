#pragma once
// DurableAnomalyStore: the embedded in-memory history made crash-durable by an append-only file
// (<ASTRAGUARD_DATA_DIR>/anomalies.log). Every append and every feedback update is written to
// the file (one line each) before the caller gets its answer, then applied to an
// InMemoryAnomalyStore of the same capacity, which serves all reads. On start the file is
// replayed; a torn or corrupt tail (a crash in the middle of a write, a bad checksum) is cut
// off and reported, never fatal.
//
// Line format: "<crc32 of the JSON, 8 hex> <JSON>\n", the JSON being {"a": <record>} for an
// append (the record with its id) or {"f": {"id", "label", "note", "at_ms"}} for feedback.
//
// fsync policy (what a power loss, not a process crash, may lose; the page cache survives a
// kill -9 in every mode):
//   always   fdatasync before every answer: nothing acknowledged is lost; each anomaly waits
//            for the disk (about a millisecond on an SSD, far more on a spinning disk);
//   everysec a background thread syncs once a second when there is something to sync: at most
//            about one second of anomalies lost; the default (Redis's appendfsync default);
//   none     the kernel decides when to write back (typically within 30 s).
//
// Bounded: when the file holds 2 x capacity lines it is rewritten (compacted) from the
// in-memory history — the newest `capacity` anomalies with their feedback — to a temporary file
// renamed over the log, so a crash during compaction leaves the old or the new file, whole.
//
// Thread-safety: all methods may be called concurrently; writes are serialized by one mutex
// (appends and feedback updates wait for each other and, every `capacity` appends, for a
// compaction). Reads go to the in-memory store without touching the file.
// Errors: a failed write is kUnavailable (the anomaly is not stored, the file is cut back to
// its last whole line).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "astraguard/common/status.hpp"
#include "astraguard/storage/anomaly_store.hpp"

namespace astraguard::storage {

enum class FsyncPolicy { kAlways, kEverySecond, kNone };
std::optional<FsyncPolicy> ParseFsyncPolicy(std::string_view s);  // "always" | "everysec" | "none"
std::string_view FsyncPolicyName(FsyncPolicy p);

// One line of the log, decoded.
struct LogEntry {
  bool is_feedback = false;
  AnomalyRecord record;  // an append (with its id)
  std::string id;        // feedback: the anomaly it corrects
  Feedback feedback;
};

struct ReplayResult {
  uint64_t good_bytes = 0;  // length of the valid prefix (whole, checked lines)
  size_t lines = 0;         // valid lines read
  std::string dropped;      // why the rest was dropped; empty when the whole input was valid
};

// Reads log lines from `in` and calls `apply` for each valid one, stopping at the first line
// that is torn (no newline), fails its checksum, or does not decode, or that `apply` refuses.
// Never throws on any input.
ReplayResult ReadLog(std::istream& in, const std::function<Status(LogEntry&&)>& apply);

// The line for an entry (with its newline).
std::string FormatLogLine(const LogEntry& entry);

struct OpenReport {
  size_t replayed = 0;        // lines replayed
  uint64_t dropped_bytes = 0; // torn or corrupt tail cut off
  std::string dropped;        // why; empty when nothing was dropped
};

class DurableAnomalyStore final : public AnomalyStore {
 public:
  // Creates `dir` if needed, replays <dir>/anomalies.log into memory and cuts off a torn tail.
  // kUnavailable naming the path when the directory or the file cannot be used.
  static Result<std::unique_ptr<DurableAnomalyStore>> Open(const std::string& dir,
                                                           size_t capacity, FsyncPolicy fsync,
                                                           OpenReport* report = nullptr);
  ~DurableAnomalyStore() override;  // syncs and closes the file

  Result<std::string> Append(AnomalyRecord record) override;
  Result<AnomalyRecord> Get(std::string_view id) const override;
  Result<AnomalyPage> Query(const AnomalyQuery& query) const override;
  Result<FeedbackUpdate> SetFeedback(std::string_view id, Feedback feedback) override;
  StoreStats Stats() const override;  // backend "file"

 private:
  DurableAnomalyStore(std::string path, size_t capacity, FsyncPolicy fsync);
  Status WriteLine(const std::string& line);  // under mu_
  Status Compact();                           // under mu_
  void SyncLoop();

  const std::string path_;
  const size_t capacity_;
  const FsyncPolicy fsync_;
  InMemoryAnomalyStore memory_;
  std::mutex mu_;  // the file: appends, feedback, compaction, sync
  int fd_ = -1;
  uint64_t size_ = 0;   // bytes of whole lines in the file
  size_t lines_ = 0;    // lines in the file
  uint64_t next_seq_ = 1;
  bool dirty_ = false;  // written since the last sync
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread syncer_;  // everysec only
};

}  // namespace astraguard::storage
