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

}  // namespace

bool MatchesQuery(const AnomalyRecord& r, const AnomalyQuery& q) {
  if (q.satellite_id && r.satellite_id != *q.satellite_id) return false;
  if (q.from_ms && r.timestamp_ms < *q.from_ms) return false;
  if (q.to_ms && r.timestamp_ms > *q.to_ms) return false;
  if (q.severity_rank_min && r.severity_rank < *q.severity_rank_min) return false;
  if (q.severity_score_min && r.severity_score < *q.severity_score_min) return false;
  if (q.anomaly_type && r.anomaly_type != *q.anomaly_type) return false;
  return true;
}

namespace {

int64_t ApproxBytes(const AnomalyRecord& r) {
  size_t n = sizeof(AnomalyRecord) + r.id.size() + r.satellite_id.size() +
             r.severity_level.size() + r.anomaly_type.size() + r.classification_reason.size() +
             r.mission_phase.size() + r.recommended_action.size() + r.action_status.size() +
             r.reasoning.size();
  for (const auto& [k, v] : r.values) n += sizeof(v) + sizeof(k) + k.size();
  for (const auto& c : r.contributing) {
    n += sizeof(StoredContribution) + c.channel.size() + c.reason.size();
  }
  if (r.feedback) n += r.feedback->note.size();
  return static_cast<int64_t>(n);
}

void Count(FeedbackCounts& c, FeedbackLabel l, int delta) {
  (l == FeedbackLabel::kConfirmed ? c.confirmed : c.false_positive) += delta;
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

InMemoryAnomalyStore::InMemoryAnomalyStore(size_t capacity, MemoryEngineMetrics* metrics,
                                           bool id_cursors)
    : capacity_(capacity < 1 ? 1 : capacity), metrics_(metrics), id_cursors_(id_cursors) {}

int64_t InMemoryAnomalyStore::IndexOf(uint64_t seq) const {
  if (seq < first_seq_ || seq >= next_seq_) return -1;
  return static_cast<int64_t>(seq - first_seq_);
}

Result<std::string> InMemoryAnomalyStore::Append(AnomalyRecord record) {
  std::unique_lock lock(mu_);
  const uint64_t seq = next_seq_++;
  if (record.id.empty()) record.id = std::string("an-").append(std::to_string(seq));
  std::string id = record.id;
  PushLocked(std::move(record), seq);
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
  if (record.feedback) Count(counts_, record.feedback->label, +1);
  PushLocked(std::move(record), *seq);
  return Status::Ok();
}

void InMemoryAnomalyStore::PushLocked(AnomalyRecord record, uint64_t seq) {
  seq_by_id_[record.id] = seq;
  bytes_ += ApproxBytes(record);
  items_.push_back(std::move(record));
  while (items_.size() > capacity_) {
    const AnomalyRecord& old = items_.front();
    bytes_ -= ApproxBytes(old);
    seq_by_id_.erase(old.id);
    items_.pop_front();
    ++first_seq_;
    ++evicted_;
  }
  if (metrics_) metrics_->size_bytes.Set(static_cast<double>(bytes_));
}

std::vector<AnomalyRecord> InMemoryAnomalyStore::Snapshot() const {
  std::shared_lock lock(mu_);
  return {items_.begin(), items_.end()};
}

Result<AnomalyRecord> InMemoryAnomalyStore::Get(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = seq_by_id_.find(std::string(id));
  const int64_t idx = it != seq_by_id_.end() ? IndexOf(it->second) : -1;
  if (metrics_) (idx < 0 ? metrics_->misses : metrics_->hits).Increment();
  if (idx < 0) {
    return Status::Error(Code::kNotFound, "anomaly '" + std::string(id) + "' not found",
                         {{"id", "not found"}});
  }
  return items_[static_cast<size_t>(idx)];
}

Result<AnomalyPage> InMemoryAnomalyStore::Query(const AnomalyQuery& q) const {
  if (Status s = ValidateQuery(q); !s.ok()) return s;
  std::optional<uint64_t> before;  // only sequences < before
  const bool id_cursor = id_cursors_ && q.cursor && q.cursor->starts_with('k');
  if (q.cursor && !id_cursor) {
    before = ParseSeq(*q.cursor, "c");
    if (!before) {
      return Status::Error(Code::kInvalidArgument, "malformed cursor", {{"cursor", "malformed"}});
    }
  }
  AnomalyPage page;
  std::shared_lock lock(mu_);
  if (items_.empty()) return page;
  if (id_cursor) {  // "k<id>": the items whose ids sort before it (ids sort by time)
    const std::string_view after = std::string_view(*q.cursor).substr(1);
    before = first_seq_;
    for (uint64_t s = next_seq_; s > first_seq_; --s) {
      if (items_[static_cast<size_t>(s - 1 - first_seq_)].id < after) {
        before = s;
        break;
      }
    }
  }
  uint64_t seq = next_seq_ - 1;
  if (before) {
    if (*before <= first_seq_) return page;
    seq = std::min(seq, *before - 1);
  }
  for (;; --seq) {
    const AnomalyRecord& r = items_[static_cast<size_t>(seq - first_seq_)];
    if (MatchesQuery(r, q)) {
      if (static_cast<int>(page.items.size()) == q.limit) {
        page.next_cursor = id_cursors_ ? std::string("k").append(page.items.back().id)
                                       : std::string("c").append(std::to_string(seq + 1));
        break;
      }
      page.items.push_back(r);
    }
    if (seq == first_seq_) break;
  }
  return page;
}

Result<FeedbackUpdate> InMemoryAnomalyStore::SetFeedback(std::string_view id, Feedback feedback) {
  std::unique_lock lock(mu_);
  auto it = seq_by_id_.find(std::string(id));
  const int64_t idx = it != seq_by_id_.end() ? IndexOf(it->second) : -1;
  if (idx < 0) {
    return Status::Error(Code::kNotFound, "anomaly '" + std::string(id) + "' not found",
                         {{"id", "not found"}});
  }
  AnomalyRecord& r = items_[static_cast<size_t>(idx)];
  FeedbackUpdate up;
  if (r.feedback) {
    up.previous = r.feedback->label;
    Count(counts_, r.feedback->label, -1);
    bytes_ -= static_cast<int64_t>(r.feedback->note.size());
  }
  Count(counts_, feedback.label, +1);
  bytes_ += static_cast<int64_t>(feedback.note.size());
  r.feedback = std::move(feedback);
  up.record = r;
  up.counts = counts_;
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
  s.feedback = counts_;
  return s;
}

}  // namespace astraguard::storage
