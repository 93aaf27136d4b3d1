#pragma once
// SatelliteModel: a small physics-informed model of a LEO smallsat that produces telemetry
// records with ground-truth fault labels. It exists so that the demo, the end-to-end tests and
// the load generator have realistic telemetry with known faults.
//
// The model: a circular orbit (period ~95 min) with an eclipse arc; solar array power in sunlight;
// a battery whose state of charge integrates (solar - load); a bus voltage that follows the
// battery (about 28 V nominal) with internal-resistance sag; a bus current = load / voltage; a
// first-order thermal response to solar heating and internal dissipation; a body rate with
// gyro noise and bias; a reaction wheel whose speed follows the momentum absorbed from an
// orbit-periodic disturbance torque. Faults (FaultKind) perturb the physics or the sensors.
//
// Deterministic: the same seed, params and fault schedule give bit-identical records.
// Not thread-safe: one model is owned by one thread. Plain value type (copyable).

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace astraguard::sim {

// Injected fault kinds. kNone is nominal operation.
enum class FaultKind {
  kNone,
  kPowerBrownout,       // bus short / load surge: voltage sags, current surges
  kBatteryDegradation,  // capacity fade and rising internal resistance: voltage declines
  kThermalRunaway,      // stuck heater / failing component: temperature climbs without bound
  kGyroDrift,           // gyro bias ramps up
  kGyroSpike,           // intermittent large gyro readings
  kWheelFriction,       // bearing friction: wheel slows, draws more current
  kWheelStall,          // wheel stalls: speed ~0, stall current, attitude rates grow
  kSensorStuck,         // one channel repeats its last value exactly
  kSensorDropout,       // one channel reads exactly 0 (ADC dropout)
};

inline constexpr FaultKind kAllFaultKinds[] = {
    FaultKind::kPowerBrownout, FaultKind::kBatteryDegradation, FaultKind::kThermalRunaway,
    FaultKind::kGyroDrift,     FaultKind::kGyroSpike,          FaultKind::kWheelFriction,
    FaultKind::kWheelStall,    FaultKind::kSensorStuck,        FaultKind::kSensorDropout};

// Stable snake_case name ("power_brownout", "none", ...).
std::string_view FaultKindName(FaultKind kind);
std::optional<FaultKind> ParseFaultKind(std::string_view name);
// The anomaly type an operator should see for this fault ("power_fault", ..., "normal" for
// kNone). This is the ground-truth label the fault classifier is tested against.
std::string_view ExpectedAnomalyType(FaultKind kind);

// The five standard channels, in record order.
enum class Channel { kVoltage, kTemperature, kGyro, kCurrent, kWheelSpeed };
std::string_view ChannelName(Channel c);
std::optional<Channel> ParseChannel(std::string_view name);

// One fault episode. Times are seconds of simulated time since the model's start.
struct FaultEpisode {
  FaultKind kind = FaultKind::kNone;
  double start_s = 0.0;
  double duration_s = 600.0;
  Channel channel = Channel::kTemperature;  // only for kSensorStuck / kSensorDropout
};

// Physical parameters. Defaults describe a 12U-class smallsat on a 28 V bus.
struct ModelParams {
  double orbit_period_s = 5700.0;  // ~95 min LEO
  double eclipse_fraction = 0.36;  // share of the orbit in Earth shadow
  double solar_power_w = 90.0;     // array output at normal incidence
  double base_load_w = 32.0;       // avionics + radio + ADCS
  double payload_load_w = 18.0;    // payload, on for payload_duty of each orbit
  double payload_duty = 0.3;
  double battery_wh = 120.0;
  double battery_r_ohm = 0.12;           // internal resistance
  double v_empty = 24.5, v_full = 29.2;  // open-circuit voltage at SOC 0 and 1
  double initial_soc = 0.85;
  double temp_sun_c = 24.0, temp_eclipse_c = 4.0;  // thermal equilibrium targets
  double thermal_tau_s = 1500.0;                   // first-order thermal time constant
  double gyro_noise = 0.0006;                      // rad/s, 1 sigma
  double gyro_bias = 0.0002;                       // rad/s
  double wheel_mean_rpm = 2200.0;                  // momentum-bias wheel speed
  double wheel_swing_rpm = 450.0;                  // orbit-periodic swing from disturbance torques
  double wheel_noise_rpm = 4.0;
  double voltage_noise = 0.03, current_noise = 0.012, temp_noise = 0.08;  // 1 sigma
};

// One telemetry sample with its ground truth.
struct Record {
  std::string satellite_id;
  double t_s = 0.0;          // seconds since model start
  int64_t timestamp_ms = 0;  // Unix epoch milliseconds (UTC)
  double voltage = 0.0;      // V, bus
  double temperature = 0.0;  // °C, avionics deck
  double gyro = 0.0;         // rad/s, body rate as reported by the gyro (signed)
  double current = 0.0;      // A, bus, >= 0
  double wheel_speed = 0.0;  // RPM, >= 0
  bool in_eclipse = false;
  FaultKind fault = FaultKind::kNone;    // active fault at this sample
  std::optional<Channel> fault_channel;  // for sensor faults
};

class SatelliteModel {
 public:
  // `start_epoch_ms` is the Unix time (ms) of t = 0; `orbit_phase0` in [0, 1) staggers
  // satellites along their orbits.
  SatelliteModel(std::string satellite_id, uint64_t seed, ModelParams params,
                 int64_t start_epoch_ms, double orbit_phase0 = 0.0);

  void AddFault(const FaultEpisode& episode);

  // Advances the model by dt seconds (dt > 0) and returns the sample at the new time.
  Record Step(double dt_s);

  double time_s() const { return t_s_; }
  double soc() const { return soc_; }
  const std::string& satellite_id() const { return id_; }

 private:
  const FaultEpisode* ActiveFault() const;
  double Gauss(double sigma) { return sigma * norm_(rng_); }

  std::string id_;
  ModelParams p_;
  int64_t start_epoch_ms_;
  double phase0_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> norm_{0.0, 1.0};
  std::uniform_real_distribution<double> uni_{0.0, 1.0};
  std::vector<FaultEpisode> faults_;

  double t_s_ = 0.0;
  double soc_;
  double temp_c_;
  double body_rate_ = 0.0;  // true body rate, rad/s
  double wheel_rpm_;
  double gyro_drift_ = 0.0;  // accumulated extra gyro bias
  double capacity_scale_ = 1.0;
  double extra_r_ohm_ = 0.0;
  double friction_ = 0.0;       // 0..1 friction state
  std::optional<Record> last_;  // last produced record (for stuck sensors)
};

// Formats a Unix-ms time as RFC 3339 UTC with milliseconds ("2026-01-01T00:00:00.000Z").
std::string FormatTimestamp(int64_t epoch_ms);

}  // namespace astraguard::sim
