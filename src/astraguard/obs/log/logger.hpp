#pragma once
// Logger: structured, asynchronous logging. One JSON object per line (or a readable console
// format), with the fields timestamp (RFC 3339 UTC, microseconds), level, logger, event,
// service, environment, version, trace_id/span_id when a span is active, then the event's own
// fields. Every line is valid JSON whatever keys and values contain (see json_text.hpp).
//
// Why asynchronous: request threads must never wait for stdout. The calling thread formats the
// line (a few hundred ns) into a per-thread buffer and copies it into a bounded lock-free ring
// (byte_ring.hpp); one writer thread owned by the Logger drains it into the sink in batches.
// When the ring is full the line is dropped and counted (dropped()), never waited for.
// Thread-safety: all methods may be called concurrently, except that the destructor must not
// race with other calls. Lifetime: `clock` must outlive the Logger; the Logger owns its sink.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>

#include "astraguard/common/clock.hpp"
#include "astraguard/obs/trace/trace_context.hpp"
#include "astraguard/obs/util/byte_ring.hpp"

namespace astraguard::obs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kCritical = 4 };
enum class LogFormat { kJson, kConsole };

// "debug", "info", "warning", "error", "critical".
std::string_view LogLevelName(LogLevel level);

struct LogConfig {
  LogLevel level = LogLevel::kInfo;              // LOG_LEVEL
  LogFormat format = LogFormat::kJson;           // ENABLE_JSON_LOGGING
  std::string service = "astra-guard";           // OTEL_SERVICE_NAME / SERVICE_NAME
  std::string environment = "development";       // ENVIRONMENT
  std::string version = "1.0.0";                 // APP_VERSION
  std::size_t queue_capacity = 8192;             // lines buffered before drops, at 512 bytes a line
  std::chrono::milliseconds flush_interval{20};  // writer wake-up period
};

// One event field. Keys and string values are borrowed for the duration of the call only.
struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;
  std::string_view key;
  Value value;

  LogField() = default;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v ? v : "")) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, float v) : key(k), value(static_cast<double>(v)) {}
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) LogField(std::string_view k, I v)
      : key(k) {
    if constexpr (std::is_signed_v<I>)
      value = static_cast<std::int64_t>(v);
    else
      value = static_cast<std::uint64_t>(v);
  }
};

// Where formatted lines go. Write receives one or more complete lines ending in '\n'.
// Called only from the Logger's writer thread.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view lines) = 0;
};

// Writes to a file descriptor (default stdout). Retries partial writes and EINTR; gives up a
// batch on other errors (the lines count as written: logging never fails the service).
class FdLogSink final : public LogSink {
 public:
  explicit FdLogSink(int fd = 1) : fd_(fd) {}
  void Write(std::string_view lines) override;

 private:
  int fd_;
};

// Collects output in memory, for tests. Thread-safe.
class MemoryLogSink final : public LogSink {
 public:
  void Write(std::string_view lines) override;
  std::string Contents() const;

 private:
  mutable std::mutex mu_;
  std::string data_;
};

// One access-log line per HTTP request (event "http_request", logger "astraguard.http").
struct AccessLogEntry {
  std::string_view method;
  std::string_view route;  // route template, e.g. "/api/v1/telemetry"
  int status = 0;
  double duration_ms = 0.0;
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::string_view client;  // peer address
  // The caller's role and API key id (a digest prefix, never the key); omitted when empty.
  std::string_view role{};
  std::string_view key_id{};
  // The request's span; when null the thread's current span (if any) is used.
  const SpanContext* span = nullptr;
};

class Logger final {
 public:
  Logger(const LogConfig& config, std::unique_ptr<LogSink> sink, const Clock& clock);
  ~Logger();  // writes everything still queued, then stops the writer thread
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= min_level_; }

  // Logs `event` with `fields`. `span` overrides the thread's current span context.
  void Log(LogLevel level, std::string_view logger, std::string_view event,
           std::span<const LogField> fields, const SpanContext* span = nullptr);
  void Log(LogLevel level, std::string_view logger, std::string_view event,
           std::initializer_list<LogField> fields = {}, const SpanContext* span = nullptr) {
    Log(level, logger, event, std::span<const LogField>(fields.begin(), fields.size()), span);
  }
  void Debug(std::string_view logger, std::string_view event,
             std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kDebug, logger, event, f);
  }
  void Info(std::string_view logger, std::string_view event,
            std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kInfo, logger, event, f);
  }
  void Warning(std::string_view logger, std::string_view event,
               std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kWarning, logger, event, f);
  }
  void Error(std::string_view logger, std::string_view event,
             std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kError, logger, event, f);
  }

  // Logs `event` at info whatever the configured level: for the few lines that are the
  // process's contract with its operator and scripts (listening, draining, stopped, the demo's
  // episodes), which must appear even with LOG_LEVEL=WARNING.
  void Notice(std::string_view logger, std::string_view event, std::span<const LogField> f) {
    Write(LogLevel::kInfo, logger, event, f, nullptr);
  }
  void Notice(std::string_view logger, std::string_view event,
              std::initializer_list<LogField> f = {}) {
    Notice(logger, event, std::span<const LogField>(f.begin(), f.size()));
  }

  // Access line: method, route, status, duration_ms, bytes (response), request_bytes, client,
  // then role and key_id when set.
  // Level info, or error for 5xx.
  void Access(const AccessLogEntry& entry);

  // Blocks until every line accepted before the call has been handed to the sink.
  void Flush();

  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  // Lines accepted and not yet handed to the sink: the log queue's depth. (A line is counted
  // as accepted just after it is in the ring, so the writer may have written it a moment
  // before: the difference is clamped at zero.)
  std::uint64_t queued() const {
    const std::uint64_t written = written_.load(std::memory_order_acquire);
    const std::uint64_t accepted = accepted_.load(std::memory_order_acquire);
    return accepted > written ? accepted - written : 0;
  }
  const LogConfig& config() const { return config_; }

 private:
  // Log() without the level filter.
  void Write(LogLevel level, std::string_view logger, std::string_view event,
             std::span<const LogField> fields, const SpanContext* span);
  void Enqueue(std::string_view line);
  void WriterLoop();
  void FormatJson(std::string& out, LogLevel level, std::string_view logger, std::string_view event,
                  std::span<const LogField> fields, const SpanContext* span) const;
  void FormatConsole(std::string& out, LogLevel level, std::string_view logger,
                     std::string_view event, std::span<const LogField> fields,
                     const SpanContext* span) const;

  const LogConfig config_;
  const LogLevel min_level_;
  std::unique_ptr<LogSink> sink_;
  const Clock& clock_;
  std::string identity_json_;  // the service/environment/version fields, rendered once
  ByteRing ring_;              // formatted lines
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> writer_waiting_{false};
  // Queued bytes that wake a sleeping writer early: half the ring. Below that the writer only
  // wakes on its flush interval, so a request thread never pays for a wake-up (a futex call and
  // a context switch on its core) in normal operation.
  const std::size_t wake_bytes_;
  std::mutex mu_;  // guards the condition variables and flush_waiters_; never taken by Log()
  int flush_waiters_ = 0;  // Flush() calls waiting: the writer drains instead of sleeping
  std::condition_variable wake_;
  std::condition_variable progress_;
  std::thread writer_;
};

// Formats `tp` as RFC 3339 UTC with microseconds: "2026-01-04T12:00:00.123456Z".
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point tp);

}  // namespace astraguard::obs
