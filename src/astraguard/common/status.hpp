#pragma once
// Status and Result<T>: errors as values on the data path.
//
// A Status is either ok or carries a Code plus a human-readable message and, for validation
// failures, the list of offending fields. Result<T> holds either a T or a non-ok Status, shaped
// like std::expected. Exceptions are reserved for start-up; request handling returns these.
// Thread-safety: plain values; safe to copy between threads.

#include <cassert>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace astraguard {

enum class Code {
  kOk,
  kInvalidArgument,  // malformed input (bad syntax)
  kValidation,       // well-formed input with invalid values
  kNotFound,
  kConflict,
  kPermissionDenied,  // refused by configuration or policy (HTTP 403)
  kTooLarge,
  kUnsupportedMediaType,
  kUnavailable,  // a dependency is down; expected outcome, not a bug
  kInternal,
};

// One offending input field: a JSON-pointer-like path ("voltage", "channels.bus_a") and why.
struct FieldError {
  std::string field;
  std::string message;
};

// The most field errors an answer lists: decoders stop keeping more and count the rest in
// the Status (fields_not_listed), and the problem renderer lists no more, so that a hostile
// body cannot make the answer large. Either way the answer says how many were left out.
inline constexpr std::size_t kMaxListedErrors = 20;

class [[nodiscard]] Status final {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  // `fields_not_listed`: offending fields found beyond those in `fields`.
  static Status Error(Code code, std::string message, std::vector<FieldError> fields = {},
                      std::size_t fields_not_listed = 0) {
    Status s;
    s.code_ = code;
    s.message_ = std::move(message);
    s.fields_ = std::move(fields);
    s.fields_not_listed_ = fields_not_listed;
    return s;
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& fields() const { return fields_; }
  std::size_t fields_not_listed() const { return fields_not_listed_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldError> fields_;
  std::size_t fields_not_listed_ = 0;
};

template <typename T>
class [[nodiscard]] Result final {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace astraguard
