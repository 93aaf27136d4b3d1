#pragma once
// The detection vocabulary shared by every detector and by the transport layer.
//
// A record is a set of named channel values for one satellite at one instant. A detector turns
// it into a Detection: one combined score in [0, 1] and the channels that contributed, each
// with a reason a person can read. Plain values; safe to copy between threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace astraguard::detect {

// One named channel value of a record. `name` is borrowed: it must outlive the call it is
// passed to.
struct ChannelValue {
  std::string_view name;
  double value = 0.0;
};

// The largest channel magnitude the detectors use. Beyond 2^53 (~9.007e15) a double no longer
// holds every integer, so no telemetry counter is faithful there, and below this bound every
// intermediate of the detectors (differences, squares, window sums) stays far from overflow.
// ingest rejects larger values (422); the Engine reports a finite value beyond it as an anomaly
// without feeding it to any per-channel state, and ChannelDetector / RobustStats clamp what they
// store to it, so no caller can drive their state to infinity or NaN.
inline constexpr double kMaxChannelMagnitude = 1e15;

// Why one channel contributed to a detection.
struct Contribution {
  std::string channel;
  double value = 0.0;
  double score = 0.0;  // this channel's own score in [0, 1]
  std::string reason;  // e.g. "wheel_speed 6100 RPM above red-high 6000"
};

// An alarm interval of one channel changed state at this record. Steps count the records seen
// for that (satellite, channel); `end` is -1 while the interval is open.
struct AlarmEvent {
  std::string channel;
  bool opened = false;  // true: opened at `start`; false: closed, covering [start, end]
  std::int64_t start = 0;
  std::int64_t end = -1;
};

struct Detection {
  bool is_anomaly = false;
  double anomaly_score = 0.0;              // combined score in [0, 1]
  double confidence = 0.0;                 // in [0, 1]
  std::vector<Contribution> contributing;  // channels with a non-zero score, highest first
  std::vector<AlarmEvent> alarms;          // alarm intervals opened or closed by this record
};

}  // namespace astraguard::detect
