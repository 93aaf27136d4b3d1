#include "astraguard/obs/log/logger.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <sstream>
#include <thread>

#include "astraguard/obs/trace/tracer.hpp"

namespace astraguard::obs {
namespace {

std::vector<boost::json::object> ParseLines(const std::string& text) {
  std::vector<boost::json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    if (ec) continue;
    EXPECT_TRUE(v.is_object()) << line;
    if (v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

struct Fixture {
  explicit Fixture(LogConfig cfg = {}) {
    auto s = std::make_unique<MemoryLogSink>();
    sink = s.get();
    logger = std::make_unique<Logger>(cfg, std::move(s), clock);
  }
  FakeClock clock;
  MemoryLogSink* sink;
  std::unique_ptr<Logger> logger;
};

TEST(LoggerTest, JsonLineHasStandardFields) {
  LogConfig cfg;
  cfg.service = "astra-guard";
  cfg.environment = "production";
  cfg.version = "2.0.0";
  Fixture f(cfg);
  f.logger->Info("astraguard.test", "started", {{"port", 8000}, {"ok", true}, {"ratio", 0.5}});
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 1u);
  const auto& o = lines[0];
  EXPECT_EQ(o.at("timestamp").as_string(), FormatRfc3339Utc(f.clock.WallNow()));
  EXPECT_EQ(o.at("level").as_string(), "info");
  EXPECT_EQ(o.at("logger").as_string(), "astraguard.test");
  EXPECT_EQ(o.at("event").as_string(), "started");
  EXPECT_EQ(o.at("service").as_string(), "astra-guard");
  EXPECT_EQ(o.at("environment").as_string(), "production");
  EXPECT_EQ(o.at("version").as_string(), "2.0.0");
  EXPECT_EQ(o.at("port").as_int64(), 8000);
  EXPECT_EQ(o.at("ok").as_bool(), true);
  EXPECT_DOUBLE_EQ(o.at("ratio").as_double(), 0.5);
  EXPECT_FALSE(o.contains("trace_id"));
}

TEST(LoggerTest, TimestampIsRfc3339Utc) {
  using namespace std::chrono;
  system_clock::time_point tp{seconds(1'780'000'000) + microseconds(123456)};
  EXPECT_EQ(FormatRfc3339Utc(tp), "2026-05-28T20:26:40.123456Z");
}

TEST(LoggerTest, HostileContentStillYieldsOneValidJsonObjectPerLine) {
  Fixture f;
  const std::string hostile[] = {
      "quote\" backslash\\ }{",
      "new\nline\r\nand\ttab",
      std::string("nul\0byte\x01\x1b[31m", 13),
      "bad utf8 \xff\xfe \xc3 \xed\xa0\x80 end",
      "\xe2\x80\xa8 line separator",
  };
  for (const auto& h : hostile) {
    f.logger->Error(h, h, {{h, h}, {"message", h}});
  }
  f.logger->Flush();
  const std::string text = f.sink->Contents();
  auto lines = ParseLines(text);
  ASSERT_EQ(lines.size(), std::size(hostile));
  EXPECT_EQ(lines[0].at("event").as_string(), hostile[0]);
  EXPECT_EQ(lines[1].at("message").as_string(), hostile[1]);
  EXPECT_EQ(lines[2].at("message").as_string(), hostile[2]);
}

TEST(LoggerTest, ReservedFieldNamesAreNotDuplicated) {
  Fixture f;
  f.logger->Info("t", "e", {{"level", "spoof"}, {"timestamp", 1}});
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("level").as_string(), "info");
  EXPECT_EQ(lines[0].at("level_").as_string(), "spoof");
  EXPECT_EQ(lines[0].at("timestamp_").as_int64(), 1);
}

TEST(LoggerTest, LevelFilterDropsLowerLevels) {
  LogConfig cfg;
  cfg.level = LogLevel::kWarning;
  Fixture f(cfg);
  f.logger->Debug("t", "d");
  f.logger->Info("t", "i");
  f.logger->Warning("t", "w");
  f.logger->Error("t", "e");
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("level").as_string(), "warning");
  EXPECT_EQ(lines[1].at("level").as_string(), "error");
}

TEST(LoggerTest, NoticeIsWrittenAtInfoWhateverTheLevel) {
  LogConfig cfg;
  cfg.level = LogLevel::kError;
  Fixture f(cfg);
  f.logger->Info("t", "dropped");
  f.logger->Notice("t", "listening", {{"api_port", 8000}});
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("event").as_string(), "listening");
  EXPECT_EQ(lines[0].at("level").as_string(), "info");
  EXPECT_EQ(lines[0].at("api_port").as_int64(), 8000);
}

TEST(LoggerTest, IncludesTraceIdsOfCurrentSpan) {
  Fixture f;
  SpanContext ctx;
  ctx.trace_id = NewTraceId();
  ctx.span_id = NewSpanId();
  auto* prev = detail::SwapCurrentSpanContext(&ctx);
  f.logger->Info("t", "inside");
  detail::SwapCurrentSpanContext(prev);
  f.logger->Info("t", "outside");
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("trace_id").as_string(), ctx.trace_id.Hex());
  EXPECT_EQ(lines[0].at("span_id").as_string(), ctx.span_id.Hex());
  EXPECT_FALSE(lines[1].contains("trace_id"));
}

TEST(LoggerTest, AccessLine) {
  Fixture f;
  SpanContext ctx;
  ctx.trace_id = NewTraceId();
  ctx.span_id = NewSpanId();
  f.logger->Access({.method = "POST",
                    .route = "/api/v1/telemetry",
                    .status = 503,
                    .duration_ms = 1.23456,
                    .request_bytes = 80,
                    .response_bytes = 420,
                    .client = "127.0.0.1",
                    .span = &ctx});
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  ASSERT_EQ(lines.size(), 1u);
  const auto& a = lines[0];
  EXPECT_EQ(a.at("event").as_string(), "http_request");
  EXPECT_EQ(a.at("level").as_string(), "error");  // 5xx
  EXPECT_EQ(a.at("method").as_string(), "POST");
  EXPECT_EQ(a.at("route").as_string(), "/api/v1/telemetry");
  EXPECT_EQ(a.at("status").as_int64(), 503);
  EXPECT_DOUBLE_EQ(a.at("duration_ms").as_double(), 1.235);
  EXPECT_EQ(a.at("bytes").to_number<std::uint64_t>(), 420u);
  EXPECT_EQ(a.at("client").as_string(), "127.0.0.1");
  EXPECT_EQ(a.at("trace_id").as_string(), ctx.trace_id.Hex());
}

// Access() writes plain lines through its own formatter and hands text that needs escaping to
// Log(); both must print exactly what Log() prints for the same fields.
TEST(LoggerTest, AccessLineMatchesTheGenericFormatter) {
  SpanContext ctx;
  ctx.trace_id = NewTraceId();
  ctx.span_id = NewSpanId();
  const std::string_view hostile = "a\"b\n\xff";
  struct Case {
    std::string_view text;
    double ms;
  };
  for (const Case& c : {Case{"POST", 0.5}, Case{"GET", 2.0}, Case{"PUT", 12.3456},
                        Case{"DELETE", 0.0004}, Case{"PATCH", 98765.4321}, Case{hostile, 0.25}}) {
    Fixture f;
    f.logger->Access({.method = c.text,
                      .route = "/x",
                      .status = 201,
                      .duration_ms = c.ms,
                      .request_bytes = 1,
                      .response_bytes = 2,
                      .client = c.text,
                      .span = &ctx});
    f.logger->Log(LogLevel::kInfo, "astraguard.http", "http_request",
                  {{"method", c.text},
                   {"route", "/x"},
                   {"status", 201},
                   {"duration_ms", std::round(c.ms * 1000.0) / 1000.0},
                   {"bytes", std::uint64_t{2}},
                   {"request_bytes", std::uint64_t{1}},
                   {"client", c.text}},
                  &ctx);
    f.logger->Flush();
    const std::string text = f.sink->Contents();
    const auto nl = text.find('\n');
    ASSERT_NE(nl, std::string::npos);
    EXPECT_EQ(text.substr(0, nl + 1), text.substr(nl + 1)) << text;
    EXPECT_EQ(ParseLines(text).size(), 2u);
  }
}

// A sink that blocks until released, to fill the queue deterministically.
class GateSink final : public LogSink {
 public:
  void Write(std::string_view lines) override {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
    lines_ += std::count(lines.begin(), lines.end(), '\n');
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::size_t lines() {
    std::lock_guard<std::mutex> l(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::size_t lines_ = 0;
};

TEST(LoggerTest, FullQueueDropsAndCountsWithoutBlocking) {
  FakeClock clock;
  LogConfig cfg;
  cfg.queue_capacity = 16;
  auto gate = std::make_unique<GateSink>();
  GateSink* g = gate.get();
  Logger logger(cfg, std::move(gate), clock);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) logger.Info("t", "flood", {{"i", i}});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(500));  // the blocked sink never stalls callers
  EXPECT_GT(logger.dropped(), 900u);
  EXPECT_GT(logger.queued(), 0u);  // the depth of the full queue
  EXPECT_EQ(logger.queued() + logger.written() + logger.dropped(), 1000u);
  g->Open();
  logger.Flush();
  EXPECT_EQ(logger.queued(), 0u);
  EXPECT_EQ(logger.written() + logger.dropped(), 1000u);
  EXPECT_EQ(g->lines(), logger.written());
}

TEST(LoggerTest, ConcurrentWritersProduceIntactLines) {
  Fixture f;
  auto work = [&](int t) {
    for (int i = 0; i < 500; ++i) f.logger->Info("t", "x", {{"thread", t}, {"i", i}});
  };
  std::thread a(work, 1), b(work, 2), c(work, 3);
  a.join();
  b.join();
  c.join();
  f.logger->Flush();
  auto lines = ParseLines(f.sink->Contents());
  EXPECT_EQ(lines.size() + f.logger->dropped(), 1500u);
  EXPECT_EQ(f.logger->dropped(), 0u);
}

TEST(LoggerTest, ConsoleFormatIsReadableAndEscaped) {
  LogConfig cfg;
  cfg.format = LogFormat::kConsole;
  Fixture f(cfg);
  f.logger->Warning("astraguard.x", "breaker_open", {{"name", "redis"}, {"why", "a b\nc"}});
  f.logger->Flush();
  const std::string text = f.sink->Contents();
  EXPECT_NE(text.find("WARNING  [astraguard.x] breaker_open name=redis why=\"a b\\nc\""),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

class SharedSink final : public LogSink {
 public:
  explicit SharedSink(std::shared_ptr<std::string> out) : out_(std::move(out)) {}
  void Write(std::string_view lines) override { out_->append(lines); }

 private:
  std::shared_ptr<std::string> out_;
};

TEST(LoggerTest, DestructorWritesQueuedLines) {
  FakeClock clock;
  auto out = std::make_shared<std::string>();
  {
    Logger logger(LogConfig{}, std::make_unique<SharedSink>(out), clock);
    for (int i = 0; i < 100; ++i) logger.Info("t", "bye", {{"i", i}});
  }
  EXPECT_EQ(ParseLines(*out).size(), 100u);
}

}  // namespace
}  // namespace astraguard::obs
