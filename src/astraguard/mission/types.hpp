#pragma once
// The mission-operations vocabulary: severity levels, fault types, mission phases, recovery
// actions and the five standard telemetry channels, each with its stable wire name.
// Plain enums and constexpr tables; safe to use from any thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace astraguard::mission {

enum class Severity { kLow, kMedium, kHigh, kCritical };
// Bands of the original: >= 0.9 CRITICAL, >= 0.7 HIGH, >= 0.4 MEDIUM, else LOW (NaN -> LOW).
Severity SeverityFromScore(double score);
std::string_view SeverityName(Severity s);                     // "LOW" ... "CRITICAL"
std::optional<Severity> ParseSeverity(std::string_view name);  // case-sensitive upper case

enum class FaultType { kPower, kThermal, kAttitude, kWheel, kSensor, kUnknown };
inline constexpr int kFaultTypeCount = 6;
std::string_view FaultTypeName(FaultType t);  // "power_fault" ... "unknown"
std::optional<FaultType> ParseFaultType(std::string_view name);

enum class Phase { kLaunch, kDeployment, kNominalOps, kPayloadOps, kSafeMode };
inline constexpr int kPhaseCount = 5;
inline constexpr Phase kAllPhases[] = {Phase::kLaunch, Phase::kDeployment, Phase::kNominalOps,
                                       Phase::kPayloadOps, Phase::kSafeMode};
std::string_view PhaseName(Phase p);  // "LAUNCH" ...
std::optional<Phase> ParsePhase(std::string_view name);
// The original's transition table (§2.3). A transition to the same phase is not "allowed" here;
// callers treat it as a no-op.
bool IsAllowedTransition(Phase from, Phase to);

enum class Action {
  kLogEvent,
  kIncreaseMonitoring,
  kAlertOperators,
  kReducePowerLoad,
  kThermalSafeAttitude,
  kResetAdcs,
  kDesaturateWheels,
  kIsolateSensor,
  kEnterSafeMode,
};
inline constexpr int kActionCount = 9;
std::string_view ActionName(Action a);  // "LOG_EVENT" ...
std::optional<Action> ParseAction(std::string_view name);

// Outcome of an action decision, the `status` label of astra_recovery_actions_total.
enum class ActionStatus {
  kRecommended,  // emitted for operators / the flight software to carry out
  kExecuted,     // carried out by the service itself (only phase changes: ENTER_SAFE_MODE)
  kSuppressed,   // same action for the same satellite still in cooldown; not re-emitted
  kFailed,       // the service tried to carry it out and could not
};
inline constexpr int kActionStatusCount = 4;
std::string_view ActionStatusName(ActionStatus s);  // "recommended" ...

// The five standard channels.
enum class StdChannel { kVoltage, kTemperature, kGyro, kCurrent, kWheelSpeed };
inline constexpr int kStdChannelCount = 5;
std::string_view StdChannelName(StdChannel c);  // "voltage" ...
std::optional<StdChannel> ParseStdChannel(std::string_view name);

// The standard-channel values of one record; absent channels have present[i] == false.
struct Readings {
  std::array<double, kStdChannelCount> value{};
  std::array<bool, kStdChannelCount> present{};
  void Set(StdChannel c, double v) {
    value[static_cast<int>(c)] = v;
    present[static_cast<int>(c)] = true;
  }
};

}  // namespace astraguard::mission
