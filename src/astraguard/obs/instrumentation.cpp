#include "astraguard/obs/instrumentation.hpp"

namespace astraguard::obs {

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
  op.metrics_ = &metrics_.ForRoute("internal", name, {200, 500});
  std::lock_guard<std::mutex> lock(mu_);
  names_.push_back(std::make_unique<std::string>(name));
  op.name_ = names_.back().get();
  return op;
}

TrackedOperation Instrumentation::Track(const Operation& op) {
  return TrackedOperation(op, tracer_.StartSpan(op.name(), SpanKind::kInternal));
}

}  // namespace astraguard::obs
