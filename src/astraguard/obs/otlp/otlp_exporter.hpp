#pragma once
// OtlpHttpExporter: sends span batches to an OTLP/HTTP traces endpoint (Jaeger >= 1.46 on
// :4318, an OpenTelemetry Collector, ...) as protobuf or JSON.
// Requests go through http::HttpClient (keep-alive; the encoded spans are sent from where they
// are, after a small head, without being joined into one buffer). Retries only on
// 429/502/503/504 (and only while the batch deadline allows), honouring Retry-After seconds,
// otherwise exponential backoff with jitter. Connection errors and other statuses fail the
// batch at once: the batch is dropped and counted, nothing propagates. Shutdown() abandons a
// request in flight.
// Encode appends a span as otlp_encoding.hpp's Append*Span does, so that encoded spans
// concatenate into the request's span list. Thread-safety: Encode may be called from any number of
// threads at once; Send from one thread at a time (the processor's worker); Shutdown and stats()
// from any.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/obs/trace/batch_span_processor.hpp"
#include "astraguard/http/client/client.hpp"
#include "astraguard/obs/otlp/otlp_encoding.hpp"

namespace astraguard::obs {

enum class OtlpProtocol { kHttpProtobuf, kHttpJson };

struct OtlpExporterConfig {
  std::string endpoint = "http://localhost:4318/v1/traces";  // full traces URL
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  http::Headers headers;                     // OTEL_EXPORTER_OTLP_HEADERS
  std::chrono::milliseconds timeout{10000};  // per HTTP request
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{5000};
};

struct OtlpExporterStats {
  std::uint64_t requests = 0;  // HTTP attempts made
  std::uint64_t retries = 0;   // attempts after a retryable status
  std::uint64_t batches_ok = 0;
  std::uint64_t batches_failed = 0;
  int last_status = 0;  // last HTTP status seen, 0 when the connection failed
};

// Called on the export thread when a batch is given up: `error` says why ("HTTP 400",
// "connect: Connection refused", ...), `http_status` is 0 when no response arrived.
using ExportFailureHandler =
    std::function<void(std::string_view error, int http_status, std::size_t spans)>;

class OtlpHttpExporter final : public SpanExporter {
 public:
  // Fails if the endpoint is not a valid http URL (http::ParseUrl). `on_failure` may be empty.
  static Result<std::unique_ptr<OtlpHttpExporter>> Create(const OtlpExporterConfig& config,
                                                          Resource resource,
                                                          InstrumentationScope scope = {},
                                                          ExportFailureHandler on_failure = {});

  void Encode(const SpanData& span, std::string& out) const override;
  // Sends one request with the configured retries.
  ExportResult Send(std::string_view encoded, std::size_t spans,
                    std::chrono::steady_clock::time_point deadline) override;
  void Shutdown() override;

  OtlpExporterStats stats() const;

 private:
  OtlpHttpExporter(const OtlpExporterConfig& config, const http::Url& url, Resource resource,
                   InstrumentationScope scope, ExportFailureHandler on_failure);
  bool json() const { return config_.protocol == OtlpProtocol::kHttpJson; }

  const OtlpExporterConfig config_;
  const std::string path_;        // the endpoint's path, e.g. /v1/traces
  const http::Headers headers_;   // config_.headers + User-Agent
  http::HttpClient client_;       // used by the export thread only
  const Resource resource_;
  const InstrumentationScope scope_;
  const ExportFailureHandler on_failure_;
  std::atomic<bool> shutdown_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> batches_ok_{0};
  std::atomic<std::uint64_t> batches_failed_{0};
  std::atomic<int> last_status_{0};
};

// True for the statuses the OTLP specification calls retryable.
inline bool IsRetryableOtlpStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace astraguard::obs
