#include "astraguard/obs/otlp/otlp_exporter.hpp"

#include <thread>

namespace astraguard::obs {

using SteadyClock = std::chrono::steady_clock;

Result<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    const OtlpExporterConfig& config, const ExportResilience& resilience, const Clock& clock,
    Resource resource, InstrumentationScope scope, ExportFailureHandler on_failure) {
  auto url = http::ParseUrl(config.endpoint);
  if (!url.ok()) return url.status();
  return std::unique_ptr<OtlpHttpExporter>(new OtlpHttpExporter(
      config, resilience, clock, *url, std::move(resource), std::move(scope),
      std::move(on_failure)));
}

namespace {
http::Headers WithUserAgent(http::Headers headers) {
  headers.emplace_back("User-Agent", "astraguard-otlp/1");
  return headers;
}
}  // namespace

OtlpHttpExporter::OtlpHttpExporter(const OtlpExporterConfig& config,
                                   const ExportResilience& resilience, const Clock& clock,
                                   const http::Url& url, Resource resource,
                                   InstrumentationScope scope, ExportFailureHandler on_failure)
    : config_(config),
      path_(url.path),
      headers_(WithUserAgent(config.headers)),
      client_(url, config.timeout),
      resource_(std::move(resource)),
      scope_(std::move(scope)),
      on_failure_(std::move(on_failure)),
      faults_(resilience.faults),
      breaker_("otlp_exporter", resilience.breaker, clock, resilience.registry),
      retrier_("otlp_exporter", resilience.retry, budget_, clock, resilience.registry,
               static_cast<std::uint64_t>(SteadyClock::now().time_since_epoch().count())) {}

void OtlpHttpExporter::Encode(const SpanData& span, std::string& out) const {
  if (json())
    AppendOtlpJsonSpan(span, out);
  else
    AppendOtlpProtobufSpan(span, out);
}

ExportResult OtlpHttpExporter::Fail(std::string_view error, int http_status, std::size_t spans) {
  batches_failed_.fetch_add(1);
  if (on_failure_) on_failure_(error, http_status, spans);
  return ExportResult::kFailure;
}

ExportResult OtlpHttpExporter::Send(std::string_view encoded, std::size_t spans,
                                    SteadyClock::time_point deadline) {
  if (spans == 0) return ExportResult::kSuccess;
  const std::string_view span_text = json() ? OtlpJsonSpanList(encoded) : encoded;
  if (shutdown_.load()) {
    batches_failed_.fetch_add(1);
    return ExportResult::kFailure;
  }
  if (!breaker_.Allow()) return Fail("circuit breaker otlp_exporter is open", 0, spans);
  if (faults_ != nullptr && faults_->exporter_outage.load(std::memory_order_relaxed)) {
    breaker_.RecordFailure("chaos experiment exporter_outage");
    return Fail("chaos experiment exporter_outage", 0, spans);
  }
  // Head + span text (+ tail) go out as separate parts: the text is not copied.
  const std::string head = json() ? OtlpJsonHead(resource_, scope_)
                                  : OtlpProtobufHead(resource_, scope_, span_text.size());
  const std::string_view tail = json() ? kOtlpJsonTail : std::string_view();
  const std::string_view content_type = json() ? "application/json" : "application/x-protobuf";
  const std::string_view parts[] = {head, span_text, tail};
  std::string error = "shut down";
  int status = 0;
  bool dependency_failed = false;  // no answer, or 429/5xx: what the breaker counts
  int attempts = 0;
  auto attempt = [&]() -> resilience::AttemptResult {
    if (attempts++ > 0) retries_.fetch_add(1);
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
      dependency_failed = true;
      return {Status::Error(Code::kUnavailable, error), false, {}};  // not retried
    }
    last_status_.store(resp->status);
    status = resp->status;
    if (status >= 200 && status < 300) return {};
    error = std::string("HTTP ").append(std::to_string(status));
    const bool retryable = IsRetryableOtlpStatus(status);
    dependency_failed = retryable || status >= 500;
    std::chrono::milliseconds retry_after{0};
    if (const auto hint = resp->RetryAfter())
      retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(*hint);
    return {Status::Error(Code::kUnavailable, error), retryable, retry_after};
  };
  // Waits on the export thread; gives up when the wait would pass the batch deadline or on
  // shutdown.
  auto sleep = [&](std::chrono::milliseconds wait) {
    const auto until = SteadyClock::now() + wait;
    if (until >= deadline) return false;
    while (SteadyClock::now() < until && !shutdown_.load())
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - SteadyClock::now(),
                                                                  std::chrono::milliseconds(20)));
    return !shutdown_.load();
  };
  const Status result = retrier_.Run(attempt, sleep);
  if (result.ok()) {
    breaker_.RecordSuccess();
    batches_ok_.fetch_add(1);
    return ExportResult::kSuccess;
  }
  if (dependency_failed) {
    breaker_.RecordFailure(error);
  } else {
    breaker_.RecordSuccess();
  }
  return Fail(error, status, spans);
}

void OtlpHttpExporter::Shutdown() { shutdown_.store(true); }

OtlpExporterStats OtlpHttpExporter::stats() const {
  return OtlpExporterStats{requests_.load(), retries_.load(), batches_ok_.load(),
                           batches_failed_.load(), last_status_.load()};
}

}  // namespace astraguard::obs
