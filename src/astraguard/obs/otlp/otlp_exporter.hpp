#pragma once
// OtlpHttpExporter: sends span batches to an OTLP/HTTP traces endpoint (Jaeger >= 1.46 on
// :4318, an OpenTelemetry Collector, ...) as protobuf or JSON.
// Requests go through http::HttpClient (keep-alive; the encoded spans are sent from where they
// are, after a small head, without being joined into one buffer).
// Resilience, all on the export thread (never a request thread): a circuit breaker named
// "otlp_exporter" and a resilience::Retrier (endpoint "otlp_exporter": exponential backoff with
// full jitter, a retry budget). Only 429/502/503/504 are retried (the OTLP rule), honouring
// Retry-After, and only while the batch deadline allows; connection errors and other statuses
// fail the batch at once. The breaker counts a batch that failed to connect, timed out, or
// ended in 429 or 5xx as a failure (any other answer shows the collector is up); while it is
// open batches fail at once without a request. With the chaos switch exporter_outage on,
// every batch fails at once as a breaker failure, so the breaker opens. A failed batch is
// dropped and counted; nothing propagates. Shutdown() abandons a request in flight.
// Encode appends a span as otlp_encoding.hpp's Append*Span does, so that encoded spans
// concatenate into the request's span list. Thread-safety: Encode may be called from any number of
// threads at once; Send from one thread at a time (the processor's worker); Shutdown, stats()
// and breaker() from any.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "astraguard/common/clock.hpp"
#include "astraguard/common/status.hpp"
#include "astraguard/resilience/circuit_breaker.hpp"
#include "astraguard/resilience/fault_switches.hpp"
#include "astraguard/resilience/retry.hpp"
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
};

// The exporter's breaker and retry policy, the registry of their metrics and the chaos switches
// it reads; the registry and the switches must outlive the exporter.
struct ExportResilience {
  prometheus::Registry& registry;
  resilience::BreakerOptions breaker = {};
  resilience::RetryOptions retry = {};
  const resilience::FaultSwitches* faults = nullptr;  // null: no chaos experiments
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
  // `clock` must outlive the exporter.
  static Result<std::unique_ptr<OtlpHttpExporter>> Create(const OtlpExporterConfig& config,
                                                          const ExportResilience& resilience,
                                                          const Clock& clock, Resource resource,
                                                          InstrumentationScope scope = {},
                                                          ExportFailureHandler on_failure = {});

  void Encode(const SpanData& span, std::string& out) const override;
  // Sends one request with the configured retries.
  ExportResult Send(std::string_view encoded, std::size_t spans,
                    std::chrono::steady_clock::time_point deadline) override;
  void Shutdown() override;

  OtlpExporterStats stats() const;
  const resilience::CircuitBreaker& breaker() const { return breaker_; }

 private:
  OtlpHttpExporter(const OtlpExporterConfig& config, const ExportResilience& resilience,
                   const Clock& clock, const http::Url& url, Resource resource,
                   InstrumentationScope scope, ExportFailureHandler on_failure);
  bool json() const { return config_.protocol == OtlpProtocol::kHttpJson; }
  ExportResult Fail(std::string_view error, int http_status, std::size_t spans);

  const OtlpExporterConfig config_;
  const std::string path_;        // the endpoint's path, e.g. /v1/traces
  const http::Headers headers_;   // config_.headers + User-Agent
  http::HttpClient client_;       // used by the export thread only
  const Resource resource_;
  const InstrumentationScope scope_;
  const ExportFailureHandler on_failure_;
  const resilience::FaultSwitches* const faults_;
  resilience::CircuitBreaker breaker_;
  resilience::RetryBudget budget_;
  resilience::Retrier retrier_;
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
