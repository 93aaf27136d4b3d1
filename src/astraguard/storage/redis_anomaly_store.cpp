#include "astraguard/storage/redis_anomaly_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "astraguard/storage/record_json.hpp"

namespace astraguard::storage {
namespace {

constexpr std::string_view kRecordPrefix = "astraguard:anomaly:";
constexpr std::string_view kFeedbackPrefix = "astraguard:anomaly_feedback:";
constexpr std::string_view kIndexKey = "astraguard:anomaly_index";
constexpr std::string_view kCountsKey = "astraguard:feedback_counts";
constexpr size_t kScanChunk = 256;

// KEYS: index, record. ARGV: json, id, capacity, record prefix, feedback prefix.
// Returns how many old anomalies it evicted.
constexpr std::string_view kAppendScript = R"lua(
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], 0, ARGV[2])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if over <= 0 then return 0 end
local old = redis.call('ZRANGE', KEYS[1], 0, over - 1)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
for _, id in ipairs(old) do redis.call('DEL', ARGV[4] .. id, ARGV[5] .. id) end
return over
)lua";

// KEYS: record, feedback, counts. ARGV: feedback json, label.
// Returns nil for an unknown id, else {record json, previous label or '', confirmed, fp}.
constexpr std::string_view kFeedbackScript = R"lua(
local rec = redis.call('GET', KEYS[1])
if not rec then return false end
local prev = redis.call('GET', KEYS[2])
local prev_label = ''
if prev then
  prev_label = cjson.decode(prev)['label']
  redis.call('HINCRBY', KEYS[3], prev_label, -1)
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
local c = redis.call('HMGET', KEYS[3], 'confirmed', 'false_positive')
return {rec, prev_label, tonumber(c[1]) or 0, tonumber(c[2]) or 0}
)lua";

std::string Key(std::string_view prefix, std::string_view id) {
  return std::string(prefix).append(id);
}

Status NotFound(std::string_view id) {
  return Status::Error(Code::kNotFound, "anomaly '" + std::string(id) + "' not found",
                       {{"id", "not found"}});
}

bool IsIdText(std::string_view s) {
  if (s.size() < 4 || s.size() > 64 || !s.starts_with("an-")) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

// A hash field holding a count (nil or unreadable: 0).
int64_t CountOf(const kv::Reply& r) {
  int64_t v = 0;
  std::from_chars(r.str.data(), r.str.data() + r.str.size(), v);
  return v;
}

// Adds the feedback stored beside a record (nil reply: none).
Status AttachFeedback(AnomalyRecord& r, const kv::Reply& fb) {
  if (fb.nil()) return Status::Ok();
  auto f = DecodeFeedback(fb.str);
  if (!f.ok()) return f.status();
  r.feedback = std::move(*f);
  return Status::Ok();
}

// One spool line: {"id", "rec"} for an append, {"id", "fb"} for a feedback.
std::string SpoolLine(const AnomalyRecord* rec, std::string_view id, const Feedback* fb) {
  boost::json::object o{{"id", id}};
  if (rec) o["rec"] = EncodeRecord(*rec);
  if (fb) o["fb"] = EncodeFeedback(*fb);
  return boost::json::serialize(o) + "\n";
}

}  // namespace

RedisAnomalyStore::RedisAnomalyStore(kv::RedisClient& redis, const RedisStoreOptions& options,
                                     const Clock& clock, prometheus::Registry& registry,
                                     obs::Logger& logger, MemoryEngineMetrics* local_metrics)
    : redis_(redis),
      options_(options),
      clock_(clock),
      logger_(logger),
      local_(options.capacity, local_metrics, /*id_cursors=*/true),
      degraded_gauge_(prometheus::BuildGauge()
                          .Name("astra_redis_degraded")
                          .Help("1 while Redis is unreachable and the service answers from memory.")
                          .Register(registry)
                          .Add({})),
      degraded_total_(prometheus::BuildCounter()
                          .Name("astra_redis_degraded_total")
                          .Help("Times the service lost Redis and turned to memory.")
                          .Register(registry)
                          .Add({})),
      pending_gauge_(prometheus::BuildGauge()
                         .Name("astra_redis_replay_pending")
                         .Help("Writes buffered for Redis, replayed in order when it returns.")
                         .Register(registry)
                         .Add({})),
      replayed_total_(prometheus::BuildCounter()
                          .Name("astra_redis_replayed_total")
                          .Help("Buffered writes replayed into Redis.")
                          .Register(registry)
                          .Add({})),
      dropped_total_(prometheus::BuildCounter()
                         .Name("astra_redis_replay_dropped_total")
                         .Help("Writes not buffered for Redis because the replay buffer was full.")
                         .Register(registry)
                         .Add({})),
      prober_() {
  if (!options_.spool_path.empty()) LoadSpool();
  // Redis down at start-up is an outage like any other: say so at once.
  if (auto ping = redis_.Run({"PING"}); !degraded() && !ping.ok()) MarkDegraded(ping.status());
  prober_ = std::thread([this] { ProbeLoop(); });
}

void RedisAnomalyStore::LoadSpool() {
  std::ifstream in(options_.spool_path);
  std::string line;
  size_t loaded = 0, corrupt = 0;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    const auto* o = ec ? nullptr : v.if_object();
    const auto* id = o ? o->if_contains("id") : nullptr;
    if (!id || !id->is_string()) {
      ++corrupt;  // e.g. a line cut short by the crash
      continue;
    }
    PendingWrite w;
    w.id = std::string(id->get_string());
    if (const auto* rec = o->if_contains("rec"); rec && rec->is_string()) {
      auto r = DecodeRecord(rec->get_string(), w.id);
      if (!r.ok()) {
        ++corrupt;
        continue;
      }
      (void)local_.Append(*r);
      w.append = std::move(*r);
    } else if (const auto* fb = o->if_contains("fb"); fb && fb->is_string()) {
      auto f = DecodeFeedback(fb->get_string());
      if (!f.ok()) {
        ++corrupt;
        continue;
      }
      (void)local_.SetFeedback(w.id, *f);
      w.feedback = std::move(*f);
    } else {
      ++corrupt;
      continue;
    }
    pending_.push_back(std::move(w));
    ++loaded;
  }
  spool_fd_ = ::open(options_.spool_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (spool_fd_ < 0) {
    logger_.Error("astraguard.storage", "redis_spool_unavailable",
                  {{"path", std::string_view(options_.spool_path)},
                   {"error", std::string_view(std::strerror(errno))}});
  }
  if (loaded == 0) return;
  // Writes acknowledged by a previous process that never reached Redis: replay them first.
  degraded_since_ms_ = UnixMillis(clock_.WallNow());
  last_error_ = "replaying the spool of a previous process";
  degraded_.store(true, std::memory_order_release);
  degraded_gauge_.Set(1);
  pending_gauge_.Set(static_cast<double>(pending_.size()));
  logger_.Warning("astraguard.storage", "redis_spool_loaded",
                  {{"path", std::string_view(options_.spool_path)},
                   {"writes", uint64_t{loaded}},
                   {"unreadable_lines", uint64_t{corrupt}}});
}

RedisAnomalyStore::~RedisAnomalyStore() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  prober_.join();
  if (spool_fd_ >= 0) ::close(spool_fd_);
}

std::string RedisAnomalyStore::NewId() {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             clock_.WallNow().time_since_epoch())
                             .count();
  int64_t last = last_id_us_.load(std::memory_order_relaxed);
  int64_t next = 0;
  do {
    next = std::max(now_us, last + 1);
  } while (!last_id_us_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  char buf[32];
  std::snprintf(buf, sizeof buf, "an-%016llx-", static_cast<unsigned long long>(next));
  return std::string(buf).append(options_.instance);
}

Status RedisAnomalyStore::WriteAppend(const AnomalyRecord& r) const {
  auto res = redis_.Run({"EVAL", std::string(kAppendScript), "2", std::string(kIndexKey),
                         Key(kRecordPrefix, r.id), EncodeRecord(r), r.id,
                         std::to_string(options_.capacity), std::string(kRecordPrefix),
                         std::string(kFeedbackPrefix)});
  if (!res.ok()) return res.status();
  evicted_.fetch_add(res->integer, std::memory_order_relaxed);
  return Status::Ok();
}

Result<FeedbackUpdate> RedisAnomalyStore::WriteFeedback(std::string_view id,
                                                        const Feedback& f) const {
  auto res = redis_.Run({"EVAL", std::string(kFeedbackScript), "3", Key(kRecordPrefix, id),
                         Key(kFeedbackPrefix, id), std::string(kCountsKey), EncodeFeedback(f),
                         std::string(FeedbackLabelName(f.label))});
  if (!res.ok()) return res.status();
  if (res->nil()) return NotFound(id);
  if (res->elements.size() != 4) return Status::Error(Code::kInternal, "feedback script reply");
  auto rec = DecodeRecord(res->elements[0].str, std::string(id));
  if (!rec.ok()) return rec.status();
  FeedbackUpdate up;
  up.previous = ParseFeedbackLabel(res->elements[1].str);
  rec->feedback = f;
  up.record = std::move(*rec);
  up.counts = {res->elements[2].integer, res->elements[3].integer};
  return up;
}

Status RedisAnomalyStore::Write(const PendingWrite& w) const {
  if (w.append) return WriteAppend(*w.append);
  auto up = WriteFeedback(w.id, w.feedback);
  // An anomaly evicted from Redis meanwhile has nothing left to label: that write is done.
  if (!up.ok() && up.status().code() != Code::kNotFound) return up.status();
  return Status::Ok();
}

void RedisAnomalyStore::MarkDegraded(const Status& error) const {
  std::lock_guard lock(mu_);
  last_error_ = error.message();
  if (degraded_.load(std::memory_order_relaxed)) return;
  degraded_since_ms_ = UnixMillis(clock_.WallNow());
  dropped_this_outage_ = 0;
  degraded_.store(true, std::memory_order_release);
  degraded_gauge_.Set(1);
  degraded_total_.Increment();
  logger_.Warning("astraguard.storage", "redis_degraded",
                  {{"error", std::string_view(last_error_)},
                   {"effect", "answering from memory; writes buffered for replay"}});
}

void RedisAnomalyStore::EnqueueLocked(PendingWrite w) {
  if (pending_.size() >= options_.replay_capacity) {
    dropped_total_.Increment();
    if (dropped_this_outage_++ == 0) {
      logger_.Error("astraguard.storage", "redis_replay_buffer_full",
                    {{"capacity", uint64_t{options_.replay_capacity}},
                     {"effect", "further writes are kept in memory only until Redis returns"}});
    }
    return;
  }
  if (spool_fd_ >= 0) {
    const std::string line = SpoolLine(w.append ? &*w.append : nullptr, w.id,
                                       w.append ? nullptr : &w.feedback);
    if (::write(spool_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      logger_.Error("astraguard.storage", "redis_spool_write_failed",
                    {{"path", std::string_view(options_.spool_path)},
                     {"error", std::string_view(std::strerror(errno))}});
    }
  }
  pending_.push_back(std::move(w));
  pending_gauge_.Set(static_cast<double>(pending_.size()));
}

Result<std::string> RedisAnomalyStore::Append(AnomalyRecord record) {
  record.id = NewId();
  appended_.fetch_add(1, std::memory_order_relaxed);
  (void)local_.Append(record);
  if (!degraded()) {
    Status st = WriteAppend(record);
    if (st.ok()) return record.id;
    MarkDegraded(st);
  }
  std::string id = record.id;
  std::lock_guard lock(mu_);
  EnqueueLocked({std::move(record), id, {}});
  return id;
}

Result<AnomalyRecord> RedisAnomalyStore::Get(std::string_view id) const {
  if (!degraded()) {
    if (!IsIdText(id)) return NotFound(id);
    auto res = redis_.Run({"MGET", Key(kRecordPrefix, id), Key(kFeedbackPrefix, id)});
    if (res.ok()) {
      if (res->elements.size() != 2) return Status::Error(Code::kInternal, "MGET reply");
      if (res->elements[0].nil()) return NotFound(id);
      auto r = DecodeRecord(res->elements[0].str, std::string(id));
      if (!r.ok()) return r.status();
      if (Status st = AttachFeedback(*r, res->elements[1]); !st.ok()) return st;
      return r;
    }
    MarkDegraded(res.status());
  }
  return local_.Get(id);
}

Result<AnomalyPage> RedisAnomalyStore::Query(const AnomalyQuery& q) const {
  if (Status s = ValidateQuery(q); !s.ok()) return s;
  if (degraded()) return local_.Query(q);
  std::string start = "+";
  if (q.cursor) {
    if (!q.cursor->starts_with('k') || !IsIdText(std::string_view(*q.cursor).substr(1))) {
      return Status::Error(Code::kInvalidArgument, "malformed cursor", {{"cursor", "malformed"}});
    }
    start = "(" + q.cursor->substr(1);
  }
  AnomalyPage page;
  for (;;) {
    auto ids = redis_.Run({"ZREVRANGEBYLEX", std::string(kIndexKey), start, "-", "LIMIT", "0",
                           std::to_string(kScanChunk)});
    if (!ids.ok()) {
      MarkDegraded(ids.status());
      return local_.Query(q);
    }
    if (ids->elements.empty()) break;
    kv::Command mget{"MGET"};
    for (const auto& id : ids->elements) {
      mget.push_back(Key(kRecordPrefix, id.str));
      mget.push_back(Key(kFeedbackPrefix, id.str));
    }
    auto values = redis_.Run(mget);
    if (!values.ok()) {
      MarkDegraded(values.status());
      return local_.Query(q);
    }
    for (size_t i = 0; i < ids->elements.size(); ++i) {
      const kv::Reply& rec = values->elements[2 * i];
      if (rec.nil()) continue;  // evicted since the index was read
      auto r = DecodeRecord(rec.str, ids->elements[i].str);
      if (!r.ok()) return r.status();
      if (!MatchesQuery(*r, q)) continue;
      if (static_cast<int>(page.items.size()) == q.limit) {
        page.next_cursor = "k" + page.items.back().id;
        return page;
      }
      if (Status st = AttachFeedback(*r, values->elements[2 * i + 1]); !st.ok()) return st;
      page.items.push_back(std::move(*r));
    }
    if (ids->elements.size() < kScanChunk) break;
    start = "(" + ids->elements.back().str;
  }
  return page;
}

Result<FeedbackUpdate> RedisAnomalyStore::SetFeedback(std::string_view id, Feedback feedback) {
  if (!degraded()) {
    if (!IsIdText(id)) return NotFound(id);
    auto up = WriteFeedback(id, feedback);
    if (up.ok() || up.status().code() != Code::kUnavailable) {
      if (up.ok()) (void)local_.SetFeedback(id, feedback);  // for reads while degraded
      return up;
    }
    MarkDegraded(up.status());
  }
  auto up = local_.SetFeedback(id, feedback);
  if (!up.ok()) return up;
  std::lock_guard lock(mu_);
  EnqueueLocked({std::nullopt, std::string(id), std::move(feedback)});
  return up;
}

StoreStats RedisAnomalyStore::Stats() const {
  StoreStats s;
  if (!degraded()) {
    auto res = redis_.Pipeline({{"ZCARD", std::string(kIndexKey)},
                                {"HMGET", std::string(kCountsKey), "confirmed", "false_positive"}});
    if (res.ok()) {
      s.size = (*res)[0].integer;
      const auto& c = (*res)[1].elements;
      if (c.size() == 2) {
        s.feedback.confirmed = CountOf(c[0]);
        s.feedback.false_positive = CountOf(c[1]);
      }
    } else {
      MarkDegraded(res.status());
    }
  }
  if (degraded()) {
    const StoreStats local = local_.Stats();
    s.size = local.size;
    s.feedback = local.feedback;
    std::lock_guard lock(mu_);
    s.healthy = false;
    s.last_error = last_error_;
  }
  s.backend = "redis";
  s.capacity = static_cast<int64_t>(options_.capacity);
  s.appended_total = appended_.load(std::memory_order_relaxed);
  s.evicted_total = evicted_.load(std::memory_order_relaxed);
  return s;
}

std::string RedisAnomalyStore::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

size_t RedisAnomalyStore::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void RedisAnomalyStore::ProbeLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, options_.probe_interval, [this] { return stop_; })) {
    // Also when not degraded: a write that failed just as Redis came back may have been queued
    // after the last replay.
    if (!degraded() && pending() == 0) continue;
    lock.unlock();
    TryRecover();
    lock.lock();
  }
}

void RedisAnomalyStore::TryRecover() {
  if (auto ping = redis_.Run({"PING"}); !ping.ok()) {
    std::lock_guard lock(mu_);
    last_error_ = ping.status().message();
    return;
  }
  for (;;) {
    PendingWrite w;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) {
        if (spool_fd_ >= 0 && ::ftruncate(spool_fd_, 0) != 0) {
          logger_.Error("astraguard.storage", "redis_spool_truncate_failed",
                        {{"error", std::string_view(std::strerror(errno))}});
        }
        if (!degraded_.load(std::memory_order_relaxed)) return;
        const int64_t outage_ms = UnixMillis(clock_.WallNow()) - degraded_since_ms_;
        degraded_.store(false, std::memory_order_release);
        degraded_gauge_.Set(0);
        pending_gauge_.Set(0);
        logger_.Info("astraguard.storage", "redis_recovered",
                     {{"replayed", replayed_this_outage_},
                      {"dropped", dropped_this_outage_},
                      {"degraded_ms", outage_ms},
                      {"last_error", std::string_view(last_error_)}});
        replayed_this_outage_ = 0;
        degraded_since_ms_ = 0;
        return;
      }
      w = pending_.front();
    }
    if (Status st = Write(w); !st.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = st.message();
      return;
    }
    std::lock_guard lock(mu_);
    pending_.pop_front();
    pending_gauge_.Set(static_cast<double>(pending_.size()));
    ++replayed_this_outage_;
    replayed_total_.Increment();
  }
}

}  // namespace astraguard::storage
