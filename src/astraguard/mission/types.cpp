#include "astraguard/mission/types.hpp"

#include <cmath>

namespace astraguard::mission {
namespace {

constexpr std::string_view kSeverity[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
constexpr std::string_view kFault[] = {"power_fault", "thermal_fault", "attitude_fault",
                                       "wheel_fault", "sensor_fault",  "unknown"};
constexpr std::string_view kPhase[] = {"LAUNCH", "DEPLOYMENT", "NOMINAL_OPS", "PAYLOAD_OPS",
                                       "SAFE_MODE"};
constexpr std::string_view kAction[] = {
    "LOG_EVENT",         "INCREASE_MONITORING",   "ALERT_OPERATORS",
    "REDUCE_POWER_LOAD", "THERMAL_SAFE_ATTITUDE", "RESET_ADCS",
    "DESATURATE_WHEELS", "ISOLATE_SENSOR",        "ENTER_SAFE_MODE"};
constexpr std::string_view kActionStatus[] = {"recommended", "executed", "suppressed", "failed"};
constexpr std::string_view kChannel[] = {"voltage", "temperature", "gyro", "current",
                                         "wheel_speed"};

template <typename E, size_t N>
std::optional<E> Find(const std::string_view (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

Severity SeverityFromScore(double score) {
  if (std::isnan(score)) return Severity::kLow;
  if (score >= 0.9) return Severity::kCritical;
  if (score >= 0.7) return Severity::kHigh;
  if (score >= 0.4) return Severity::kMedium;
  return Severity::kLow;
}
std::string_view SeverityName(Severity s) { return kSeverity[static_cast<int>(s)]; }
std::optional<Severity> ParseSeverity(std::string_view n) { return Find<Severity>(kSeverity, n); }

std::string_view FaultTypeName(FaultType t) { return kFault[static_cast<int>(t)]; }
std::optional<FaultType> ParseFaultType(std::string_view n) { return Find<FaultType>(kFault, n); }

std::string_view PhaseName(Phase p) { return kPhase[static_cast<int>(p)]; }
std::optional<Phase> ParsePhase(std::string_view n) { return Find<Phase>(kPhase, n); }

bool IsAllowedTransition(Phase from, Phase to) {
  switch (from) {
    case Phase::kLaunch:
      return to == Phase::kDeployment || to == Phase::kSafeMode;
    case Phase::kDeployment:
      return to == Phase::kNominalOps || to == Phase::kSafeMode;
    case Phase::kNominalOps:
      return to == Phase::kPayloadOps || to == Phase::kSafeMode;
    case Phase::kPayloadOps:
      return to == Phase::kNominalOps || to == Phase::kSafeMode;
    case Phase::kSafeMode:
      return to == Phase::kNominalOps || to == Phase::kDeployment || to == Phase::kLaunch;
  }
  return false;
}

std::string_view ActionName(Action a) { return kAction[static_cast<int>(a)]; }
std::optional<Action> ParseAction(std::string_view n) { return Find<Action>(kAction, n); }
std::string_view ActionStatusName(ActionStatus s) { return kActionStatus[static_cast<int>(s)]; }

std::string_view StdChannelName(StdChannel c) { return kChannel[static_cast<int>(c)]; }
std::optional<StdChannel> ParseStdChannel(std::string_view n) {
  return Find<StdChannel>(kChannel, n);
}

}  // namespace astraguard::mission
