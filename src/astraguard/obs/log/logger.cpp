#include "astraguard/obs/log/logger.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "astraguard/obs/util/json_text.hpp"

namespace astraguard::obs {
namespace {

// Each thread formats its lines here before copying them into the ring; the buffer keeps its
// capacity, so formatting allocates nothing once it has grown.
thread_local std::string t_line;

constexpr std::string_view kReserved[] = {"timestamp",   "level",   "logger",   "event",  "service",
                                          "environment", "version", "trace_id", "span_id"};

bool IsReserved(std::string_view key) {
  for (auto r : kReserved)
    if (r == key) return true;
  return false;
}

void AppendValueJson(std::string& out, const LogField::Value& v) {
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          AppendJsonString(out, x);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else {
          AppendJsonNumber(out, x);
        }
      },
      v);
}

// Console values: bare when made of safe characters, otherwise a JSON string (so control
// characters and invalid UTF-8 are escaped there too).
void AppendValueConsole(std::string& out, const LogField::Value& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    bool bare = !s->empty();
    for (char c : *s) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == '=') {
        bare = false;
        break;
      }
    }
    if (bare)
      out.append(*s);
    else
      AppendJsonString(out, *s);
    return;
  }
  AppendValueJson(out, v);
}

// Writes RFC 3339 UTC with microseconds (27 characters) at `out`; returns the end. The
// "YYYY-MM-DDTHH:MM:SS" part is cached per thread and recomputed only when the second changes.
char* WriteTimestamp(char* out, std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  thread_local std::int64_t cached_second = -1;
  thread_local char prefix[20];
  const auto us = duration_cast<microseconds>(tp.time_since_epoch()).count();
  std::int64_t sec = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --sec;
  }
  if (sec != cached_second) {
    const std::string full = FormatRfc3339Utc(system_clock::time_point(seconds(sec)));
    std::memcpy(prefix, full.data(), 19);
    cached_second = sec;
  }
  std::memcpy(out, prefix, 19);
  out[19] = '.';
  for (int i = 25; i >= 20; --i) {
    out[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out[26] = 'Z';
  return out + 27;
}

void AppendTimestamp(std::string& out, std::chrono::system_clock::time_point tp) {
  const std::size_t at = out.size();
  out.resize(at + 27);
  WriteTimestamp(out.data() + at, tp);
}

void AppendHex(std::string& out, const std::uint8_t* b, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  WriteHex(out.data() + at, b, n);
}

char* Put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

char* PutUint(char* out, std::uint64_t v) { return std::to_chars(out, out + 20, v).ptr; }

// Non-negative milliseconds rounded to microseconds, shortest form ("2", "0.5", "12.345").
char* PutMillis(char* out, double ms) {
  const auto us = std::isfinite(ms) && ms > 0
                      ? static_cast<std::uint64_t>(std::llround(ms * 1000.0))
                      : std::uint64_t{0};
  out = PutUint(out, us / 1000);
  unsigned frac = static_cast<unsigned>(us % 1000);
  if (frac == 0) return out;
  *out++ = '.';
  *out++ = static_cast<char>('0' + frac / 100);
  frac %= 100;
  if (frac == 0) return out;
  *out++ = static_cast<char>('0' + frac / 10);
  frac %= 10;
  if (frac == 0) return out;
  *out++ = static_cast<char>('0' + frac);
  return out;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
  }
  return "info";
}

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  const auto us = time_point_cast<microseconds>(tp);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> tod{us - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return buf;
}

void FdLogSink::Write(std::string_view lines) {
  const char* p = lines.data();
  std::size_t left = lines.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // closed pipe, full disk...: drop this batch, never fail the service
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void MemoryLogSink::Write(std::string_view lines) {
  std::lock_guard<std::mutex> lock(mu_);
  data_.append(lines);
}

std::string MemoryLogSink::Contents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_;
}

Logger::Logger(const LogConfig& config, std::unique_ptr<LogSink> sink, const Clock& clock)
    : config_(config),
      min_level_(config.level),
      sink_(std::move(sink)),
      clock_(clock),
      ring_(config.queue_capacity * 512),
      wake_bytes_(ring_.capacity() / 2) {
  identity_json_ = ",\"service\":";
  AppendJsonString(identity_json_, config_.service);
  identity_json_ += ",\"environment\":";
  AppendJsonString(identity_json_, config_.environment);
  identity_json_ += ",\"version\":";
  AppendJsonString(identity_json_, config_.version);
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ag-log-writer");
    WriterLoop();
  });
}

Logger::~Logger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  writer_.join();
}

void Logger::FormatJson(std::string& out, LogLevel level, std::string_view logger,
                        std::string_view event, std::span<const LogField> fields,
                        const SpanContext* span) const {
  out += "{\"timestamp\":\"";
  AppendTimestamp(out, clock_.WallNow());
  out += "\",\"level\":\"";
  out += LogLevelName(level);
  out += "\",\"logger\":";
  AppendJsonString(out, logger);
  out += ",\"event\":";
  AppendJsonString(out, event);
  out += identity_json_;  // ,"service":...,"environment":...,"version":... (pre-escaped)
  if (span != nullptr && span->IsValid()) {
    out += ",\"trace_id\":\"";
    AppendHex(out, span->trace_id.bytes.data(), span->trace_id.bytes.size());
    out += "\",\"span_id\":\"";
    AppendHex(out, span->span_id.bytes.data(), span->span_id.bytes.size());
    out += '"';
  }
  for (const auto& f : fields) {
    out += ',';
    out += '"';
    AppendJsonEscaped(out, f.key);
    if (IsReserved(f.key)) out += '_';  // never emit a duplicate key
    out += "\":";
    AppendValueJson(out, f.value);
  }
  out += "}\n";
}

void Logger::FormatConsole(std::string& out, LogLevel level, std::string_view logger,
                           std::string_view event, std::span<const LogField> fields,
                           const SpanContext* span) const {
  AppendTimestamp(out, clock_.WallNow());
  out += ' ';
  std::string_view name = LogLevelName(level);
  for (char c : name) out += static_cast<char>(c - 'a' + 'A');
  out.append(9 - name.size(), ' ');
  out += '[';
  AppendJsonEscaped(out, logger);
  out += "] ";
  AppendJsonEscaped(out, event);
  for (const auto& f : fields) {
    out += ' ';
    AppendJsonEscaped(out, f.key);
    out += '=';
    AppendValueConsole(out, f.value);
  }
  if (span != nullptr && span->IsValid()) {
    out += " trace_id=";
    AppendHex(out, span->trace_id.bytes.data(), span->trace_id.bytes.size());
    out += " span_id=";
    AppendHex(out, span->span_id.bytes.data(), span->span_id.bytes.size());
  }
  out += '\n';
}

void Logger::Log(LogLevel level, std::string_view logger, std::string_view event,
                 std::span<const LogField> fields, const SpanContext* span) {
  if (Enabled(level)) Write(level, logger, event, fields, span);
}

void Logger::Write(LogLevel level, std::string_view logger, std::string_view event,
                   std::span<const LogField> fields, const SpanContext* span) {
  if (span == nullptr) span = CurrentSpanContext();
  std::string& line = t_line;
  line.clear();
  if (config_.format == LogFormat::kJson)
    FormatJson(line, level, logger, event, fields, span);
  else
    FormatConsole(line, level, logger, event, fields, span);
  Enqueue(line);
  if (line.capacity() > 64 * 1024) std::string().swap(line);  // after a huge line, let it go
}

void Logger::Enqueue(std::string_view line) {
  if (!ring_.TryWrite(line)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  accepted_.fetch_add(1, std::memory_order_release);
  if (writer_waiting_.load(std::memory_order_relaxed) && ring_.BytesUsed() >= wake_bytes_) {
    wake_.notify_one();  // a lost wake-up is bounded by flush_interval
  }
}

void Logger::Access(const AccessLogEntry& e) {
  const LogLevel level = e.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
  if (!Enabled(level)) return;
  const SpanContext* span = e.span != nullptr ? e.span : CurrentSpanContext();
  if (config_.format != LogFormat::kJson || !IsPlainJsonText(e.method) ||
      !IsPlainJsonText(e.route) || !IsPlainJsonText(e.client) || !IsPlainJsonText(e.role) ||
      !IsPlainJsonText(e.key_id)) {
    const double ms = std::round(e.duration_ms * 1000.0) / 1000.0;
    const LogField fields[] = {
        {"method", e.method},        {"route", e.route},
        {"status", e.status},        {"duration_ms", ms},
        {"bytes", e.response_bytes}, {"request_bytes", e.request_bytes},
        {"client", e.client},        {"role", e.role},
        {"key_id", e.key_id},
    };
    const size_t n = e.role.empty() ? 7 : e.key_id.empty() ? 8 : 9;
    Log(level, "astraguard.http", "http_request", std::span<const LogField>(fields, n), span);
    return;
  }
  // One line per request, the same output as Log() (fields in the same order), written
  // through a cursor into a buffer sized for the worst case: the strings need no escaping.
  std::string& line = t_line;
  // Fixed text (~210 bytes) + timestamp 27 + level <= 8 + ids 48 + four numbers <= 75.
  constexpr std::size_t kFixedMax = 512;
  const std::size_t need = kFixedMax + identity_json_.size() + e.method.size() + e.route.size() +
                           e.client.size() + e.role.size() + e.key_id.size();
  if (line.size() < need) line.resize(need);  // zero-fills only when it grows
  char* p = line.data();
  p = Put(p, "{\"timestamp\":\"");
  p = WriteTimestamp(p, clock_.WallNow());
  p = Put(p, "\",\"level\":\"");
  p = Put(p, LogLevelName(level));
  p = Put(p, "\",\"logger\":\"astraguard.http\",\"event\":\"http_request\"");
  p = Put(p, identity_json_);
  if (span != nullptr && span->IsValid()) {
    p = Put(p, ",\"trace_id\":\"");
    p = WriteHex(p, span->trace_id.bytes.data(), span->trace_id.bytes.size());
    p = Put(p, "\",\"span_id\":\"");
    p = WriteHex(p, span->span_id.bytes.data(), span->span_id.bytes.size());
    *p++ = '"';
  }
  p = Put(p, ",\"method\":\"");
  p = Put(p, e.method);
  p = Put(p, "\",\"route\":\"");
  p = Put(p, e.route);
  p = Put(p, "\",\"status\":");
  p = std::to_chars(p, p + 12, e.status).ptr;
  p = Put(p, ",\"duration_ms\":");
  p = PutMillis(p, e.duration_ms);
  p = Put(p, ",\"bytes\":");
  p = PutUint(p, e.response_bytes);
  p = Put(p, ",\"request_bytes\":");
  p = PutUint(p, e.request_bytes);
  p = Put(p, ",\"client\":\"");
  p = Put(p, e.client);
  if (!e.role.empty()) {
    p = Put(p, "\",\"role\":\"");
    p = Put(p, e.role);
  }
  if (!e.key_id.empty()) {
    p = Put(p, "\",\"key_id\":\"");
    p = Put(p, e.key_id);
  }
  p = Put(p, "\"}\n");
  Enqueue(std::string_view(line.data(), static_cast<std::size_t>(p - line.data())));
}

void Logger::Flush() {
  const std::uint64_t target = accepted_.load(std::memory_order_acquire);
  std::unique_lock<std::mutex> lock(mu_);
  ++flush_waiters_;
  wake_.notify_one();
  progress_.wait(lock, [&] { return written_.load(std::memory_order_acquire) >= target; });
  --flush_waiters_;
}

void Logger::WriterLoop() {
  std::string batch;
  constexpr std::size_t kMaxBatchBytes = 256 * 1024;
  for (;;) {
    batch.clear();
    std::uint64_t n = 0;
    while (batch.size() < kMaxBatchBytes) {
      const std::size_t got = ring_.Drain(
          [&batch](std::string_view line) {
            batch.append(line);
            return batch.size() < kMaxBatchBytes;
          },
          SIZE_MAX);
      if (got == 0) break;
      n += got;
    }
    if (n > 0) {
      sink_->Write(batch);
      written_.fetch_add(n, std::memory_order_release);
      std::lock_guard<std::mutex> lock(mu_);
      progress_.notify_all();
      if (batch.size() >= kMaxBatchBytes) continue;  // more lines are waiting
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_.load(std::memory_order_acquire) || flush_waiters_ > 0) {
      // Shutdown or a Flush(): drain now, including lines still being pushed.
      if (written_.load() < accepted_.load() || !ring_.Empty()) continue;
      if (stop_.load(std::memory_order_acquire)) break;
    }
    // Between batches the writer sleeps, so lines go out in one write() per flush interval
    // rather than one per line; the flush interval, Flush(), shutdown or a half-full queue
    // (Enqueue) wake it.
    writer_waiting_.store(true, std::memory_order_relaxed);
    wake_.wait_for(lock, config_.flush_interval);
    writer_waiting_.store(false, std::memory_order_relaxed);
  }
}

}  // namespace astraguard::obs
