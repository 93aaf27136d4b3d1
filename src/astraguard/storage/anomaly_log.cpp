#include "astraguard/storage/anomaly_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace astraguard::storage {
namespace {

namespace json = boost::json;

uint32_t Crc32(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

Status Unavailable(const std::string& what, const std::string& path) {
  return Status::Error(Code::kUnavailable,
                       what + " " + path + ": " + std::strerror(errno));
}

json::object FeedbackJson(const Feedback& f) {
  return {{"label", FeedbackLabelName(f.label)}, {"note", f.note}, {"at_ms", f.at_ms}};
}

json::object RecordJson(const AnomalyRecord& r) {
  json::array values;
  for (const auto& [name, v] : r.values) values.push_back(json::array{json::string(name), v});
  json::array contributing;
  for (const auto& c : r.contributing) {
    contributing.push_back(json::object{
        {"channel", c.channel}, {"value", c.value}, {"score", c.score}, {"reason", c.reason}});
  }
  json::object o{{"id", r.id},
                 {"satellite_id", r.satellite_id},
                 {"timestamp_ms", r.timestamp_ms},
                 {"recorded_ms", r.recorded_ms},
                 {"anomaly_score", r.anomaly_score},
                 {"severity_score", r.severity_score},
                 {"severity_rank", r.severity_rank},
                 {"severity_level", r.severity_level},
                 {"confidence", r.confidence},
                 {"anomaly_type", r.anomaly_type},
                 {"classification_reason", r.classification_reason},
                 {"mission_phase", r.mission_phase},
                 {"recommended_action", r.recommended_action},
                 {"action_status", r.action_status},
                 {"escalated", r.escalated},
                 {"recurrence_count", r.recurrence_count},
                 {"reasoning", r.reasoning},
                 {"values", std::move(values)},
                 {"contributing", std::move(contributing)}};
  if (r.feedback) o["feedback"] = FeedbackJson(*r.feedback);
  return o;
}

// Typed field readers: false when the field is missing or of another type.
bool Str(const json::object& o, std::string_view k, std::string& out) {
  const json::value* v = o.if_contains(k);
  if (!v || !v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}
bool Int(const json::object& o, std::string_view k, int64_t& out) {
  const json::value* v = o.if_contains(k);
  if (!v || !v->is_int64()) return false;
  out = v->get_int64();
  return true;
}
bool Num(const json::value& v, double& out) {
  if (v.is_double()) {
    out = v.get_double();
  } else if (v.is_int64()) {
    out = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    out = static_cast<double>(v.get_uint64());
  } else {
    return false;
  }
  return true;
}
bool Num(const json::object& o, std::string_view k, double& out) {
  const json::value* v = o.if_contains(k);
  return v && Num(*v, out);
}
bool Bool(const json::object& o, std::string_view k, bool& out) {
  const json::value* v = o.if_contains(k);
  if (!v || !v->is_bool()) return false;
  out = v->get_bool();
  return true;
}

bool DecodeFeedback(const json::object& o, Feedback& f) {
  std::string label;
  if (!Str(o, "label", label) || !Str(o, "note", f.note) || !Int(o, "at_ms", f.at_ms)) {
    return false;
  }
  auto l = ParseFeedbackLabel(label);
  if (!l) return false;
  f.label = *l;
  return true;
}

bool DecodeRecord(const json::object& o, AnomalyRecord& r) {
  int64_t rank = 0, recurrence = 0;
  const json::value* values = o.if_contains("values");
  const json::value* contributing = o.if_contains("contributing");
  if (!Str(o, "id", r.id) || !Str(o, "satellite_id", r.satellite_id) ||
      !Int(o, "timestamp_ms", r.timestamp_ms) || !Int(o, "recorded_ms", r.recorded_ms) ||
      !Num(o, "anomaly_score", r.anomaly_score) || !Num(o, "severity_score", r.severity_score) ||
      !Int(o, "severity_rank", rank) || rank < 0 || rank > 3 ||
      !Str(o, "severity_level", r.severity_level) || !Num(o, "confidence", r.confidence) ||
      !Str(o, "anomaly_type", r.anomaly_type) ||
      !Str(o, "classification_reason", r.classification_reason) ||
      !Str(o, "mission_phase", r.mission_phase) ||
      !Str(o, "recommended_action", r.recommended_action) ||
      !Str(o, "action_status", r.action_status) || !Bool(o, "escalated", r.escalated) ||
      !Int(o, "recurrence_count", recurrence) || recurrence < 0 || recurrence > INT32_MAX ||
      !Str(o, "reasoning", r.reasoning) || !values || !values->is_array() || !contributing ||
      !contributing->is_array()) {
    return false;
  }
  r.severity_rank = static_cast<int>(rank);
  r.recurrence_count = static_cast<int>(recurrence);
  for (const json::value& v : values->get_array()) {
    const json::array* pair = v.if_array();
    double x = 0;
    if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !Num((*pair)[1], x)) return false;
    r.values.emplace_back(std::string((*pair)[0].get_string()), x);
  }
  for (const json::value& v : contributing->get_array()) {
    const json::object* c = v.if_object();
    StoredContribution sc;
    if (!c || !Str(*c, "channel", sc.channel) || !Num(*c, "value", sc.value) ||
        !Num(*c, "score", sc.score) || !Str(*c, "reason", sc.reason)) {
      return false;
    }
    r.contributing.push_back(std::move(sc));
  }
  if (const json::value* f = o.if_contains("feedback")) {
    Feedback fb;
    if (!f->is_object() || !DecodeFeedback(f->get_object(), fb)) return false;
    r.feedback = std::move(fb);
  }
  return true;
}

// One line without its newline; false (with the reason) when it does not decode.
bool DecodeLine(std::string_view line, LogEntry& e, std::string& why) {
  if (line.size() < 10 || line[8] != ' ') {
    why = "malformed line";
    return false;
  }
  uint32_t want = 0;
  for (char c : line.substr(0, 8)) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) {
      why = "malformed checksum";
      return false;
    }
    want = want * 16 + static_cast<uint32_t>(d);
  }
  const std::string_view body = line.substr(9);
  if (Crc32(body) != want) {
    why = "checksum mismatch";
    return false;
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o || o->size() != 1) {
    why = "not a log entry";
    return false;
  }
  if (const json::value* a = o->if_contains("a"); a && a->is_object()) {
    if (DecodeRecord(a->get_object(), e.record)) return true;
  } else if (const json::value* f = o->if_contains("f"); f && f->is_object()) {
    e.is_feedback = true;
    if (Str(f->get_object(), "id", e.id) && DecodeFeedback(f->get_object(), e.feedback)) {
      return true;
    }
  }
  why = "not a log entry";
  return false;
}

}  // namespace

std::optional<FsyncPolicy> ParseFsyncPolicy(std::string_view s) {
  if (s == "always") return FsyncPolicy::kAlways;
  if (s == "everysec") return FsyncPolicy::kEverySecond;
  if (s == "none") return FsyncPolicy::kNone;
  return std::nullopt;
}

std::string_view FsyncPolicyName(FsyncPolicy p) {
  return p == FsyncPolicy::kAlways ? "always" : p == FsyncPolicy::kNone ? "none" : "everysec";
}

std::string FormatLogLine(const LogEntry& e) {
  json::object o;
  if (e.is_feedback) {
    json::object f = FeedbackJson(e.feedback);
    f["id"] = e.id;
    o["f"] = std::move(f);
  } else {
    o["a"] = RecordJson(e.record);
  }
  const std::string body = json::serialize(o);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", Crc32(body));
  return std::string(crc).append(" ").append(body).append("\n");
}

ReplayResult ReadLog(std::istream& in, const std::function<Status(LogEntry&&)>& apply) {
  ReplayResult r;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {  // no newline: a write cut short
      r.dropped = "torn last line (" + std::to_string(line.size()) + " bytes without a newline)";
      return r;
    }
    LogEntry e;
    std::string why;
    if (!DecodeLine(line, e, why)) {
      r.dropped = "line " + std::to_string(r.lines + 1) + ": " + why;
      return r;
    }
    if (Status s = apply(std::move(e)); !s.ok()) {
      r.dropped = "line " + std::to_string(r.lines + 1) + ": " + s.message();
      return r;
    }
    r.good_bytes += line.size() + 1;
    ++r.lines;
  }
  return r;
}

DurableAnomalyStore::DurableAnomalyStore(std::string path, size_t capacity, FsyncPolicy fsync)
    : path_(std::move(path)), capacity_(capacity < 1 ? 1 : capacity), fsync_(fsync),
      memory_(capacity_) {}

Result<std::unique_ptr<DurableAnomalyStore>> DurableAnomalyStore::Open(const std::string& dir,
                                                                       size_t capacity,
                                                                       FsyncPolicy fsync,
                                                                       OpenReport* report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::Error(Code::kUnavailable,
                         "cannot create data directory " + dir + ": " + ec.message());
  }
  std::unique_ptr<DurableAnomalyStore> s(
      new DurableAnomalyStore(dir + "/anomalies.log", capacity, fsync));
  ReplayResult replay;
  {
    std::ifstream in(s->path_, std::ios::binary);
    if (in) {
      replay = ReadLog(in, [&s](LogEntry&& e) -> Status {
        if (e.is_feedback) {
          auto up = s->memory_.SetFeedback(e.id, std::move(e.feedback));
          return up.ok() ? Status::Ok() : up.status();
        }
        return s->memory_.Restore(std::move(e.record));
      });
    }
  }
  s->fd_ = ::open(s->path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (s->fd_ < 0) return Unavailable("cannot open", s->path_);
  struct stat st {};
  if (::fstat(s->fd_, &st) != 0) return Unavailable("cannot stat", s->path_);
  const uint64_t dropped = static_cast<uint64_t>(st.st_size) - replay.good_bytes;
  if (dropped > 0 && ::ftruncate(s->fd_, static_cast<off_t>(replay.good_bytes)) != 0) {
    return Unavailable("cannot cut the torn tail of", s->path_);
  }
  s->size_ = replay.good_bytes;
  s->lines_ = replay.lines;
  // Restore continued the sequence of the log's ids (a compacted log starts past an-1).
  s->next_seq_ = static_cast<uint64_t>(s->memory_.Stats().appended_total) + 1;
  if (report) *report = {replay.lines, dropped, dropped > 0 ? replay.dropped : std::string()};
  if (fsync == FsyncPolicy::kEverySecond) s->syncer_ = std::thread([p = s.get()] { p->SyncLoop(); });
  return s;
}

DurableAnomalyStore::~DurableAnomalyStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (fd_ >= 0) {
    if (fsync_ != FsyncPolicy::kNone) ::fdatasync(fd_);
    ::close(fd_);
  }
}

void DurableAnomalyStore::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    if (dirty_) {
      dirty_ = false;
      ::fdatasync(fd_);
    }
  }
}

Status DurableAnomalyStore::WriteLine(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = Unavailable("cannot write", path_);
      // Cut the partial line so that the file stays a sequence of whole lines.
      (void)::ftruncate(fd_, static_cast<off_t>(size_));  // O_APPEND: the next write follows
      return st;
    }
    done += static_cast<size_t>(n);
  }
  size_ += line.size();
  ++lines_;
  if (fsync_ == FsyncPolicy::kAlways) {
    if (::fdatasync(fd_) != 0) return Unavailable("cannot sync", path_);
  } else {
    dirty_ = true;
  }
  return Status::Ok();
}

Status DurableAnomalyStore::Compact() {
  const std::string tmp = path_ + ".compact";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("cannot create", tmp);
  uint64_t size = 0;
  size_t lines = 0;
  bool ok = true;
  for (AnomalyRecord& r : memory_.Snapshot()) {
    LogEntry e;
    e.record = std::move(r);
    const std::string line = FormatLogLine(e);
    size_t done = 0;
    while (ok && done < line.size()) {
      const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      done += ok ? static_cast<size_t>(n) : 0;
    }
    size += line.size();
    ++lines;
  }
  ok = ok && (fsync_ == FsyncPolicy::kNone || ::fdatasync(fd) == 0);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    Status st = Unavailable("cannot compact into", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return Unavailable("cannot reopen", path_);
  size_ = size;
  lines_ = lines;
  return Status::Ok();
}

Result<std::string> DurableAnomalyStore::Append(AnomalyRecord record) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Status::Error(Code::kUnavailable, "anomaly log " + path_ + " is closed");
  if (lines_ >= 2 * capacity_) {
    if (Status st = Compact(); !st.ok()) return st;
  }
  record.id = "an-" + std::to_string(next_seq_);
  LogEntry e;
  e.record = std::move(record);
  if (Status st = WriteLine(FormatLogLine(e)); !st.ok()) return st;
  ++next_seq_;
  std::string id = e.record.id;
  if (Status st = memory_.Restore(std::move(e.record)); !st.ok()) return st;
  return id;
}

Result<FeedbackUpdate> DurableAnomalyStore::SetFeedback(std::string_view id, Feedback feedback) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Status::Error(Code::kUnavailable, "anomaly log " + path_ + " is closed");
  if (auto known = memory_.Get(id); !known.ok()) return known.status();
  LogEntry e;
  e.is_feedback = true;
  e.id = std::string(id);
  e.feedback = feedback;
  if (Status st = WriteLine(FormatLogLine(e)); !st.ok()) return st;
  return memory_.SetFeedback(id, std::move(feedback));
}

Result<AnomalyRecord> DurableAnomalyStore::Get(std::string_view id) const { return memory_.Get(id); }

Result<AnomalyPage> DurableAnomalyStore::Query(const AnomalyQuery& query) const {
  return memory_.Query(query);
}

StoreStats DurableAnomalyStore::Stats() const {
  StoreStats s = memory_.Stats();
  s.backend = "file";
  return s;
}

}  // namespace astraguard::storage
