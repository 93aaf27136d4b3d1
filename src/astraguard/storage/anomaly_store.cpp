#include "astraguard/storage/anomaly_store.hpp"

#include <charconv>

namespace astraguard::storage {
namespace {

std::optional<uint64_t> ParseSeq(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return std::nullopt;
  s.remove_prefix(prefix.size());
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool Matches(const AnomalyRecord& r, const AnomalyQuery& q) {
  if (q.satellite_id && r.satellite_id != *q.satellite_id) return false;
  if (q.from_ms && r.timestamp_ms < *q.from_ms) return false;
  if (q.to_ms && r.timestamp_ms > *q.to_ms) return false;
  if (q.severity_rank_min && r.severity_rank < *q.severity_rank_min) return false;
  if (q.severity_score_min && r.severity_score < *q.severity_score_min) return false;
  if (q.anomaly_type && r.anomaly_type != *q.anomaly_type) return false;
  return true;
}

}  // namespace

std::string_view FeedbackLabelName(FeedbackLabel l) {
  return l == FeedbackLabel::kFalsePositive ? "false_positive" : "confirmed";
}

std::optional<FeedbackLabel> ParseFeedbackLabel(std::string_view s) {
  if (s == "false_positive") return FeedbackLabel::kFalsePositive;
  if (s == "confirmed") return FeedbackLabel::kConfirmed;
  return std::nullopt;
}

Status ValidateQuery(const AnomalyQuery& q) {
  std::vector<FieldError> errs;
  if (q.limit < 1 || q.limit > kMaxQueryLimit) {
    errs.push_back({"limit", "must be between 1 and " + std::to_string(kMaxQueryLimit)});
  }
  if (q.severity_rank_min && (*q.severity_rank_min < 0 || *q.severity_rank_min > 3)) {
    errs.push_back({"severity_min", "must be LOW, MEDIUM, HIGH or CRITICAL"});
  }
  if (q.severity_score_min && !(*q.severity_score_min >= 0 && *q.severity_score_min <= 1)) {
    errs.push_back({"severity_min", "must be between 0 and 1"});
  }
  if (q.from_ms && q.to_ms && *q.from_ms > *q.to_ms) {
    errs.push_back({"from", "must not be after 'to'"});
  }
  if (!errs.empty()) {
    std::string msg = errs[0].field + ": " + errs[0].message;
    return Status::Error(Code::kValidation, std::move(msg), std::move(errs));
  }
  return Status::Ok();
}

InMemoryAnomalyStore::InMemoryAnomalyStore(size_t capacity)
    : capacity_(capacity < 1 ? 1 : capacity) {}

int64_t InMemoryAnomalyStore::IndexOf(uint64_t seq) const {
  if (seq < first_seq_ || seq >= next_seq_) return -1;
  return static_cast<int64_t>(seq - first_seq_);
}

Result<std::string> InMemoryAnomalyStore::Append(AnomalyRecord record) {
  std::unique_lock lock(mu_);
  record.id = "an-" + std::to_string(next_seq_++);
  std::string id = record.id;
  items_.push_back(std::move(record));
  while (items_.size() > capacity_) {
    items_.pop_front();
    ++first_seq_;
    ++evicted_;
  }
  return id;
}

Status InMemoryAnomalyStore::Restore(AnomalyRecord record) {
  auto seq = ParseSeq(record.id, "an-");
  std::unique_lock lock(mu_);
  if (!seq || *seq == 0 || (!items_.empty() && *seq != next_seq_) || *seq < next_seq_) {
    return Status::Error(Code::kInvalidArgument,
                         "anomaly id '" + record.id + "' out of sequence",
                         {{"id", "out of sequence"}});
  }
  if (items_.empty()) first_seq_ = *seq;
  next_seq_ = *seq + 1;
  items_.push_back(std::move(record));
  while (items_.size() > capacity_) {
    items_.pop_front();
    ++first_seq_;
    ++evicted_;
  }
  return Status::Ok();
}

std::vector<AnomalyRecord> InMemoryAnomalyStore::Snapshot() const {
  std::shared_lock lock(mu_);
  return {items_.begin(), items_.end()};
}

Result<AnomalyRecord> InMemoryAnomalyStore::Get(std::string_view id) const {
  auto seq = ParseSeq(id, "an-");
  std::shared_lock lock(mu_);
  const int64_t idx = seq ? IndexOf(*seq) : -1;
  if (idx < 0) {
    return Status::Error(Code::kNotFound, "anomaly '" + std::string(id) + "' not found",
                         {{"id", "not found"}});
  }
  return items_[static_cast<size_t>(idx)];
}

Result<AnomalyPage> InMemoryAnomalyStore::Query(const AnomalyQuery& q) const {
  if (Status s = ValidateQuery(q); !s.ok()) return s;
  std::optional<uint64_t> before;  // only sequences < before
  if (q.cursor) {
    before = ParseSeq(*q.cursor, "c");
    if (!before) {
      return Status::Error(Code::kInvalidArgument, "malformed cursor", {{"cursor", "malformed"}});
    }
  }
  AnomalyPage page;
  std::shared_lock lock(mu_);
  if (items_.empty()) return page;
  uint64_t seq = next_seq_ - 1;
  if (before) {
    if (*before <= first_seq_) return page;
    seq = std::min(seq, *before - 1);
  }
  for (;; --seq) {
    const AnomalyRecord& r = items_[static_cast<size_t>(seq - first_seq_)];
    if (Matches(r, q)) {
      if (static_cast<int>(page.items.size()) == q.limit) {
        page.next_cursor = std::string("c").append(std::to_string(seq + 1));
        break;
      }
      page.items.push_back(r);
    }
    if (seq == first_seq_) break;
  }
  return page;
}

Result<FeedbackUpdate> InMemoryAnomalyStore::SetFeedback(std::string_view id, Feedback feedback) {
  auto seq = ParseSeq(id, "an-");
  std::unique_lock lock(mu_);
  const int64_t idx = seq ? IndexOf(*seq) : -1;
  if (idx < 0) {
    return Status::Error(Code::kNotFound, "anomaly '" + std::string(id) + "' not found",
                         {{"id", "not found"}});
  }
  AnomalyRecord& r = items_[static_cast<size_t>(idx)];
  FeedbackUpdate up;
  if (r.feedback) up.previous = r.feedback->label;
  r.feedback = std::move(feedback);
  up.record = r;
  return up;
}

StoreStats InMemoryAnomalyStore::Stats() const {
  std::shared_lock lock(mu_);
  StoreStats s;
  s.backend = "memory";
  s.size = static_cast<int64_t>(items_.size());
  s.capacity = static_cast<int64_t>(capacity_);
  s.appended_total = static_cast<int64_t>(next_seq_ - 1);
  s.evicted_total = evicted_;
  return s;
}

}  // namespace astraguard::storage
