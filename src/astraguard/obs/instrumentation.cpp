#include "astraguard/obs/instrumentation.hpp"

#include "astraguard/obs/spans.hpp"

namespace astraguard::obs {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "LOW";
    case Severity::kMedium:
      return "MEDIUM";
    case Severity::kHigh:
      return "HIGH";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "LOW";
}

TrackedOperation::TrackedOperation(const Operation& op, Span span)
    : metrics_(op.metrics_), span_(std::move(span)), start_(std::chrono::steady_clock::now()) {}

TrackedOperation::~TrackedOperation() {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  metrics_->Observe(status_, seconds, 0, 0);
}

void TrackedOperation::SetFailed(std::string_view message, std::string_view error_type) {
  status_ = 500;
  span_->RecordException(error_type, message);
  span_->SetStatus(SpanStatus::kError, message);
}

Instrumentation::Instrumentation(Metrics& metrics, Tracer& tracer, Logger& logger)
    : metrics_(metrics), tracer_(tracer), logger_(logger) {}

Operation Instrumentation::RegisterOperation(std::string_view name) {
  Operation op;
  op.metrics_ = &metrics_.ForRoute("internal", name);
  std::lock_guard<std::mutex> lock(mu_);
  names_.push_back(std::make_unique<std::string>(name));
  op.name_ = names_.back().get();
  return op;
}

TrackedOperation Instrumentation::Track(const Operation& op) {
  return TrackedOperation(op, tracer_.StartSpan(op.name(), SpanKind::kInternal));
}

ScopedSpan Instrumentation::DetectionSpan(std::int64_t data_size, std::string_view model_name,
                                          std::chrono::steady_clock::time_point start) {
  return ScopedSpan(StartDetectionSpan(tracer_, data_size, model_name, start));
}

void Instrumentation::LogDetection(std::string_view satellite, Severity severity,
                                   std::string_view type, double confidence,
                                   std::string_view logger_name) {
  logger_.Detection(logger_name, satellite, SeverityName(severity), type, confidence);
}

}  // namespace astraguard::obs
