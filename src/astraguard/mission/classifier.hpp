#pragma once
// Fault-type classification. Two parts:
//
// SensorHealth: per-satellite signatures a limit or statistical detector cannot see: a
// channel that repeats the exact same value for `stuck_samples` records (a healthy sensor always
// shows noise), or that reads exactly 0 right after a clearly non-zero value (ADC dropout; the
// dropout stays flagged while the channel keeps reading 0); and a momentum-bias reaction wheel
// spinning down below `wheel_spin_down_ratio` of its own slow baseline (friction, stall), which
// generic limits without a low wheel-speed bound miss. A record identical to the previous one in
// every channel is treated as a duplicate delivery (or a synthetic load) and returns the previous
// signature without advancing any state: a frozen whole frame is not a stuck sensor. Not
// thread-safe: one instance per satellite, driven by whoever owns that satellite's state.
//
// ClassifyFault: maps a Detection's contributing channels and the sensor signature to a
// FaultType; the type follows the strongest evidence. Deterministic, pure. Rules, first match
// wins:
//   1. a sensor signature -> sensor_fault, except a wheel_speed dropout that coincides with
//      strong (>= 0.9) current or gyro contributions (a real stall) -> wheel_fault; a
//      contribution whose reason says " stuck at " (the detection engine's own stuck-sensor
//      check) also counts as a sensor signature;
//   then only the strongest tier of evidence is weighed: the red-limit violations on standard
//   channels if there are any (a bus at 2 V is a power fault however unusual the other channels
//   are), otherwise every standard contribution;
//   2. wheel_speed contributes (in any tier) or the wheel spun down -> wheel_fault when the
//      wheel's side of that tier (wheel_speed, current, gyro: a failing wheel also shows in
//      current and gyro; a spin-down counts 0.9) scores above voltage and temperature;
//   3. otherwise the group with the highest contribution score: voltage/current -> power_fault,
//      temperature -> thermal_fault, gyro -> attitude_fault (ties: power, thermal, attitude);
//   4. no standard channel contributes -> unknown.

#include <array>
#include <string>
#include <vector>

#include "astraguard/detect/detection.hpp"
#include "astraguard/mission/types.hpp"

namespace astraguard::mission {

struct SensorCheckConfig {
  int stuck_samples = 6;  // identical consecutive values that mean "stuck"; 0 disables
  // Channels checked for exact-zero dropout, and the |previous value| above which a jump to
  // exactly 0 counts as dropout. Gyro is off by default: a rate can legitimately read 0.
  std::array<bool, kStdChannelCount> dropout_enabled{true, true, false, true, true};
  std::array<double, kStdChannelCount> dropout_min_previous{1.0, 1.0, 0.0, 0.2, 100.0};
  // Wheel spin-down: wheel_speed below this share of its baseline (an EWMA that only learns
  // while the wheel runs normally, once it is above `wheel_min_baseline_rpm`). 0 disables.
  double wheel_spin_down_ratio = 0.25;
  double wheel_min_baseline_rpm = 500.0;
};

struct SensorSignature {
  bool stuck = false;
  bool dropout = false;
  bool wheel_spin_down = false;  // independent of stuck/dropout
  double wheel_baseline_rpm = 0.0;
  double wheel_threshold_rpm = 0.0;           // baseline * wheel_spin_down_ratio
  StdChannel channel = StdChannel::kVoltage;  // meaningful when stuck or dropout
  int run = 0;                                // identical samples so far (stuck)
  double value = 0.0;                         // the stuck / dropped value
  bool sensor() const { return stuck || dropout; }
  bool any() const { return stuck || dropout || wheel_spin_down; }
};

class SensorHealth {
 public:
  explicit SensorHealth(const SensorCheckConfig& config) : config_(&config) {}
  // Feeds one record; returns the signature after it. `config` must outlive this object.
  SensorSignature Update(const Readings& r);

 private:
  const SensorCheckConfig* config_;
  bool has_last_ = false;
  std::array<double, kStdChannelCount> last_{};
  std::array<bool, kStdChannelCount> last_present_{};
  std::array<int, kStdChannelCount> same_run_{};  // identical samples, counting the first
  std::array<bool, kStdChannelCount> dropout_active_{};
  double wheel_baseline_ = 0.0;  // 0 = not learned yet
  SensorSignature last_sig_;     // returned again for an exact duplicate record
};

struct Classification {
  FaultType type = FaultType::kUnknown;
  std::string reason;                 // one human-readable line
  std::vector<std::string> channels;  // channels that support the verdict
};

Classification ClassifyFault(const detect::Detection& detection, const Readings& readings,
                             const SensorSignature& signature);

}  // namespace astraguard::mission
