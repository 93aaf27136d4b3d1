#include "astraguard/obs/otlp/otlp_exporter.hpp"

#include <random>
#include <thread>

namespace astraguard::obs {

using SteadyClock = std::chrono::steady_clock;

Result<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    const OtlpExporterConfig& config, Resource resource, InstrumentationScope scope,
    ExportFailureHandler on_failure) {
  auto url = http::ParseUrl(config.endpoint);
  if (!url.ok()) return url.status();
  return std::unique_ptr<OtlpHttpExporter>(new OtlpHttpExporter(
      config, *url, std::move(resource), std::move(scope), std::move(on_failure)));
}

namespace {
http::Headers WithUserAgent(http::Headers headers) {
  headers.emplace_back("User-Agent", "astraguard-otlp/1");
  return headers;
}
}  // namespace

OtlpHttpExporter::OtlpHttpExporter(const OtlpExporterConfig& config, const http::Url& url,
                                   Resource resource, InstrumentationScope scope,
                                   ExportFailureHandler on_failure)
    : config_(config),
      path_(url.path),
      headers_(WithUserAgent(config.headers)),
      client_(url, config.timeout),
      resource_(std::move(resource)),
      scope_(std::move(scope)),
      on_failure_(std::move(on_failure)) {}

void OtlpHttpExporter::Encode(const SpanData& span, std::string& out) const {
  if (json())
    AppendOtlpJsonSpan(span, out);
  else
    AppendOtlpProtobufSpan(span, out);
}

ExportResult OtlpHttpExporter::Send(std::string_view encoded, std::size_t spans,
                                    SteadyClock::time_point deadline) {
  if (spans == 0) return ExportResult::kSuccess;
  const std::string_view span_text = json() ? OtlpJsonSpanList(encoded) : encoded;
  if (shutdown_.load()) {
    batches_failed_.fetch_add(1);
    return ExportResult::kFailure;
  }
  // Head + span text (+ tail) go out as separate parts: the text is not copied.
  const std::string head = json() ? OtlpJsonHead(resource_, scope_)
                                  : OtlpProtobufHead(resource_, scope_, span_text.size());
  const std::string_view tail = json() ? kOtlpJsonTail : std::string_view();
  const std::string_view content_type = json() ? "application/json" : "application/x-protobuf";
  const std::string_view parts[] = {head, span_text, tail};
  std::minstd_rand jitter(static_cast<unsigned>(SteadyClock::now().time_since_epoch().count()));
  auto backoff = config_.initial_backoff;
  std::string error = "shut down";
  int status = 0;
  for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
    const auto attempt_deadline = std::min(deadline, SteadyClock::now() + config_.timeout);
    requests_.fetch_add(1);
    auto resp = client_.Send({.method = "POST",
                              .target = path_,
                              .body = std::span<const std::string_view>(parts, json() ? 3 : 2),
                              .content_type = content_type,
                              .headers = &headers_,
                              .deadline = attempt_deadline,
                              .cancel = &shutdown_});
    if (!resp.ok()) {
      last_status_.store(0);
      status = 0;
      error = resp.status().message();
      break;  // connection errors, timeouts: not retried
    }
    last_status_.store(resp->status);
    status = resp->status;
    error = "HTTP " + std::to_string(resp->status);
    if (resp->status >= 200 && resp->status < 300) {
      batches_ok_.fetch_add(1);
      return ExportResult::kSuccess;
    }
    if (!IsRetryableOtlpStatus(resp->status) || attempt == config_.max_attempts) break;
    std::chrono::milliseconds wait;
    if (const auto retry_after = resp->RetryAfter()) {
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after);
    } else {
      // Full jitter in [backoff/2, backoff].
      std::uniform_int_distribution<std::int64_t> d(backoff.count() / 2, backoff.count());
      wait = std::chrono::milliseconds(d(jitter));
      backoff = std::min(backoff * 2, config_.max_backoff);
    }
    if (SteadyClock::now() + wait >= deadline) break;  // cannot retry within the deadline
    const auto until = SteadyClock::now() + wait;
    while (SteadyClock::now() < until && !shutdown_.load())
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - SteadyClock::now(),
                                                                  std::chrono::milliseconds(20)));
    if (shutdown_.load()) break;
    retries_.fetch_add(1);
  }
  batches_failed_.fetch_add(1);
  if (on_failure_) on_failure_(error, status, spans);
  return ExportResult::kFailure;
}

void OtlpHttpExporter::Shutdown() { shutdown_.store(true); }

OtlpExporterStats OtlpHttpExporter::stats() const {
  return OtlpExporterStats{requests_.load(), retries_.load(), batches_ok_.load(),
                           batches_failed_.load(), last_status_.load()};
}

}  // namespace astraguard::obs
