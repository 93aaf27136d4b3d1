#pragma once
// Test support: runs tests/otlp-receiver/receiver.js (the pinned npm OTLP decoder) as a child
// process on 127.0.0.1 and reads back what it decoded. Requires node and
// scripts/test-deps.sh to have run (ctest runs it as a fixture).
// Not thread-safe; one per test or test suite. The child is terminated on destruction.

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace astraguard::obs::testing {

class OtlpReceiver final {
 public:
  // `extra_args` are passed to receiver.js, e.g. {"--respond", "503:1", "--retry-after", "1"}
  // or {"--echo"} (answers each export with what was decoded; see receiver.js).
  explicit OtlpReceiver(std::vector<std::string> extra_args = {});
  ~OtlpReceiver();
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  std::string endpoint() const;  // http://127.0.0.1:<port>/v1/traces

  // All JSON lines written so far (spans, requests, errors).
  std::vector<boost::json::object> Lines() const;
  std::vector<boost::json::object> Lines(std::string_view type) const;
  // Waits until at least `n` span lines arrived (or `timeout`); returns the span lines.
  std::vector<boost::json::object> WaitForSpans(std::size_t n,
                                                std::chrono::milliseconds timeout) const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Path of receiver.js in the source tree (compiled in).
std::string ReceiverScriptPath();

}  // namespace astraguard::obs::testing
