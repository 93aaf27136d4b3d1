#include "astraguard/sim/satellite.hpp"
#include "astraguard/ingest/timestamp.hpp"


#include <algorithm>
#include <cmath>
#include <numbers>

namespace astraguard::sim {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Rounds to `scale` steps per unit (1000 = 3 decimals); dividing by the integer scale gives the
// double nearest to the decimal value, so it prints short ("14.12", not "14.120000000000001").
double Round(double v, double scale) { return std::round(v * scale) / scale; }

struct KindName {
  FaultKind kind;
  std::string_view name;
  std::string_view expected;
};
constexpr KindName kKinds[] = {
    {FaultKind::kNone, "none", "normal"},
    {FaultKind::kPowerBrownout, "power_brownout", "power_fault"},
    {FaultKind::kBatteryDegradation, "battery_degradation", "power_fault"},
    {FaultKind::kThermalRunaway, "thermal_runaway", "thermal_fault"},
    {FaultKind::kGyroDrift, "gyro_drift", "attitude_fault"},
    {FaultKind::kGyroSpike, "gyro_spike", "attitude_fault"},
    {FaultKind::kWheelFriction, "wheel_friction", "wheel_fault"},
    {FaultKind::kWheelStall, "wheel_stall", "wheel_fault"},
    {FaultKind::kSensorStuck, "sensor_stuck", "sensor_fault"},
    {FaultKind::kSensorDropout, "sensor_dropout", "sensor_fault"},
};

constexpr std::string_view kChannelNames[] = {"voltage", "temperature", "gyro", "current",
                                              "wheel_speed"};

double& ChannelRef(Record& r, Channel c) {
  switch (c) {
    case Channel::kVoltage:
      return r.voltage;
    case Channel::kTemperature:
      return r.temperature;
    case Channel::kGyro:
      return r.gyro;
    case Channel::kCurrent:
      return r.current;
    case Channel::kWheelSpeed:
      return r.wheel_speed;
  }
  return r.voltage;
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "none";
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
  for (const auto& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string_view ExpectedAnomalyType(FaultKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.expected;
  return "normal";
}

std::string_view ChannelName(Channel c) { return kChannelNames[static_cast<int>(c)]; }

std::optional<Channel> ParseChannel(std::string_view name) {
  for (int i = 0; i < 5; ++i)
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  return std::nullopt;
}

SatelliteModel::SatelliteModel(std::string satellite_id, uint64_t seed, ModelParams params,
                               int64_t start_epoch_ms, double orbit_phase0)
    : id_(std::move(satellite_id)),
      p_(params),
      start_epoch_ms_(start_epoch_ms),
      phase0_(orbit_phase0),
      rng_(seed),
      soc_(params.initial_soc),
      temp_c_(0.5 * (params.temp_sun_c + params.temp_eclipse_c)),
      wheel_rpm_(params.wheel_mean_rpm) {}

void SatelliteModel::AddFault(const FaultEpisode& episode) { faults_.push_back(episode); }

const FaultEpisode* SatelliteModel::ActiveFault() const {
  for (const auto& f : faults_)
    if (t_s_ >= f.start_s && t_s_ < f.start_s + f.duration_s) return &f;
  return nullptr;
}

Record SatelliteModel::Step(double dt) {
  t_s_ += dt;
  const FaultEpisode* fault = ActiveFault();
  const FaultKind kind = fault ? fault->kind : FaultKind::kNone;
  const double age = fault ? t_s_ - fault->start_s : 0.0;
  const double progress = fault ? std::min(1.0, age / std::max(1.0, 0.4 * fault->duration_s)) : 0;

  // Orbit geometry and solar input. The eclipse arc ends at phase 1; a 40 s penumbra ramp.
  const double phase = std::fmod(phase0_ + t_s_ / p_.orbit_period_s, 1.0);
  const double eclipse_start = 1.0 - p_.eclipse_fraction;
  const bool in_eclipse = phase >= eclipse_start;
  double sun = 1.0;
  if (in_eclipse) {
    sun = 0.0;
  } else {
    const double to_entry_s = (eclipse_start - phase) * p_.orbit_period_s;
    const double from_exit_s = phase * p_.orbit_period_s;
    sun = std::clamp(std::min(to_entry_s, from_exit_s) / 40.0, 0.0, 1.0);
  }
  const double solar_w = p_.solar_power_w * sun * (0.9 + 0.1 * std::cos(kTwoPi * phase));
  const bool payload_on = phase >= 0.1 && phase < 0.1 + p_.payload_duty;

  // Loads.
  double load_w =
      p_.base_load_w + (payload_on ? p_.payload_load_w : 0.0) + (in_eclipse ? 6.0 : 0.0);
  double extra_current_a = 0.0;
  double extra_heat_c_per_s = 0.0;
  double voltage_sag = 0.0;
  switch (kind) {
    case FaultKind::kPowerBrownout:
      load_w += 85.0;
      voltage_sag = 7.0 * std::min(1.0, age / 20.0);
      break;
    case FaultKind::kBatteryDegradation:
      capacity_scale_ = std::min(capacity_scale_, 1.0 - 0.65 * progress);
      extra_r_ohm_ = std::max(extra_r_ohm_, 1.2 * progress);
      voltage_sag = 6.0 * progress;  // shorting cells drop the string voltage
      break;
    case FaultKind::kThermalRunaway:
      extra_heat_c_per_s = 0.16;
      extra_current_a = 0.25;
      break;
    case FaultKind::kGyroDrift:
      gyro_drift_ += 0.0006 * dt;
      break;
    case FaultKind::kWheelFriction:
      friction_ = std::max(friction_, progress);
      extra_current_a = 0.8 * friction_;
      break;
    case FaultKind::kWheelStall:
      extra_current_a = 1.6;
      break;
    default:
      break;
  }
  if (kind != FaultKind::kGyroDrift) gyro_drift_ = std::max(0.0, gyro_drift_ - 0.001 * dt);
  if (kind != FaultKind::kWheelFriction) friction_ = std::max(0.0, friction_ - 0.002 * dt);

  // Battery and bus.
  const double v_oc = p_.v_empty + (p_.v_full - p_.v_empty) * soc_ - voltage_sag;
  const double r = p_.battery_r_ohm + extra_r_ohm_;
  double current = load_w / std::max(v_oc, 5.0) + extra_current_a;
  double voltage = v_oc - current * r + (solar_w > load_w && soc_ < 0.999 ? 0.25 : 0.0);
  const double net_w = solar_w - load_w - extra_current_a * voltage;
  soc_ = std::clamp(soc_ + net_w * dt / 3600.0 / (p_.battery_wh * capacity_scale_), 0.02, 1.0);

  // Thermal: first-order approach to the sun/eclipse target plus fault heating.
  const double target = (in_eclipse ? p_.temp_eclipse_c : p_.temp_sun_c) + (payload_on ? 4.0 : 0);
  temp_c_ += (target - temp_c_) * std::min(1.0, dt / p_.thermal_tau_s) + extra_heat_c_per_s * dt;

  // Attitude: body rate relaxes toward zero under control; a stalled wheel loses control torque.
  if (kind == FaultKind::kWheelStall) {
    body_rate_ = std::min(0.6, body_rate_ + 0.003 * dt);
  } else {
    body_rate_ *= std::exp(-dt / 60.0);
  }
  double gyro = body_rate_ + p_.gyro_bias + gyro_drift_ + Gauss(p_.gyro_noise);
  if (kind == FaultKind::kGyroSpike && uni_(rng_) < 0.35) {
    const double mag = 0.55 + 0.5 * uni_(rng_);
    gyro += uni_(rng_) < 0.5 ? -mag : mag;
  }

  // Reaction wheel: tracks the momentum-bias profile; friction lowers what the motor can hold.
  double wheel_target = p_.wheel_mean_rpm + p_.wheel_swing_rpm * std::sin(kTwoPi * phase);
  wheel_target *= 1.0 - 0.85 * friction_;
  double wheel_reading;
  if (kind == FaultKind::kWheelStall) {
    wheel_rpm_ *= std::exp(-dt / 8.0);
    wheel_reading = wheel_rpm_ + std::abs(Gauss(1.5));
  } else {
    wheel_rpm_ += (wheel_target - wheel_rpm_) * std::min(1.0, dt / 30.0);
    wheel_reading = wheel_rpm_ + Gauss(p_.wheel_noise_rpm + 60.0 * friction_);
  }

  Record rec;
  rec.satellite_id = id_;
  rec.t_s = t_s_;
  rec.timestamp_ms = start_epoch_ms_ + static_cast<int64_t>(std::llround(t_s_ * 1000.0));
  rec.voltage = Round(std::clamp(voltage + Gauss(p_.voltage_noise), 0.0, 50.0), 1000);
  // The sensor saturates at the range the API accepts (-100..150 C), as a real one does at its
  // own: a long thermal runaway read 150.55 C and was refused as invalid input.
  rec.temperature = Round(std::clamp(temp_c_ + Gauss(p_.temp_noise), -100.0, 150.0), 100);
  rec.gyro = Round(gyro, 1e6);
  rec.current = Round(std::max(0.0, current + Gauss(p_.current_noise)), 1000);
  rec.wheel_speed = Round(std::max(0.0, wheel_reading), 10);
  rec.in_eclipse = in_eclipse;
  rec.fault = kind;

  if (kind == FaultKind::kSensorStuck || kind == FaultKind::kSensorDropout) {
    rec.fault_channel = fault->channel;
    double& v = ChannelRef(rec, fault->channel);
    if (kind == FaultKind::kSensorDropout) {
      v = 0.0;
    } else if (last_) {
      v = ChannelRef(*last_, fault->channel);
    }
  }
  last_ = rec;
  return rec;
}

std::string FormatTimestamp(int64_t epoch_ms) { return ingest::FormatRfc3339Millis(epoch_ms); }

}  // namespace astraguard::sim
