#include "astraguard/mission/policy.hpp"

#include "astraguard/common/file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace astraguard::mission {
namespace {

// Collects field errors while walking the YAML tree.
class Parser {
 public:
  std::vector<FieldError> errors;

  void Error(const std::string& path, std::string msg) { errors.push_back({path, std::move(msg)}); }

  // Reports keys of a map that are not in `known`.
  void Known(const YAML::Node& n, const std::string& path, std::set<std::string> known) {
    if (!n.IsMap()) return;
    for (const auto& kv : n) {
      const std::string k = kv.first.as<std::string>();
      if (!known.count(k)) Error(Join(path, k), "unknown key");
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  bool Map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    Error(path, "must be a mapping");
    return false;
  }

  std::optional<double> Number(const YAML::Node& n, const std::string& path, double lo, double hi) {
    double v;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      Error(path, "must be a number");
      return std::nullopt;
    }
    if (!std::isfinite(v) || v < lo || v > hi) {
      std::ostringstream m;
      m << "must be in [" << lo << ", " << hi << "]";
      Error(path, m.str());
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> Bool(const YAML::Node& n, const std::string& path) {
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      Error(path, "must be true or false");
      return std::nullopt;
    }
  }

  std::optional<std::string> Str(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) {
      Error(path, "must be a string");
      return std::nullopt;
    }
    return n.as<std::string>();
  }

  template <typename E, typename F>
  std::optional<E> Enum(const YAML::Node& n, const std::string& path, F parse, const char* what) {
    auto s = Str(n, path);
    if (!s) return std::nullopt;
    auto e = parse(*s);
    if (!e) Error(path, std::string("unknown ") + what + " '" + *s + "'");
    return e;
  }

  template <typename E, typename F>
  std::vector<E> EnumList(const YAML::Node& n, const std::string& path, F parse, const char* what) {
    std::vector<E> out;
    if (!n.IsSequence()) {
      Error(path, "must be a list");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      auto e = Enum<E>(n[i], path + "[" + std::to_string(i) + "]", parse, what);
      if (e) out.push_back(*e);
    }
    return out;
  }
};

void ParseGlobal(Parser& p, const YAML::Node& g, GlobalPolicy& out) {
  if (!p.Map(g, "global")) return;
  p.Known(g, "global",
          {"recurrence_window_seconds", "episode_gap_seconds", "min_confidence_for_action",
           "min_confidence_for_escalation", "cooldown_seconds", "cooldowns", "auto_safe_mode",
           "sensor_checks", "responses"});
  if (auto n = g["recurrence_window_seconds"]) {
    if (auto v = p.Number(n, "global.recurrence_window_seconds", 1, 30 * 86400.0))
      out.recurrence_window_s = *v;
  }
  if (auto n = g["episode_gap_seconds"]) {
    if (auto v = p.Number(n, "global.episode_gap_seconds", 0, 86400.0)) out.episode_gap_s = *v;
  }
  if (auto n = g["min_confidence_for_action"]) {
    if (auto v = p.Number(n, "global.min_confidence_for_action", 0, 1))
      out.min_confidence_for_action = *v;
  }
  if (auto n = g["min_confidence_for_escalation"]) {
    if (auto v = p.Number(n, "global.min_confidence_for_escalation", 0, 1))
      out.min_confidence_for_escalation = *v;
  }
  if (auto n = g["cooldown_seconds"]) {
    if (auto v = p.Number(n, "global.cooldown_seconds", 0, 7 * 86400.0)) out.cooldown_s = *v;
  }
  if (auto n = g["cooldowns"]; n && p.Map(n, "global.cooldowns")) {
    for (const auto& kv : n) {
      const std::string path = "global.cooldowns." + kv.first.as<std::string>();
      auto a = ParseAction(kv.first.as<std::string>());
      if (!a) {
        p.Error(path, "unknown action");
        continue;
      }
      if (auto v = p.Number(kv.second, path, 0, 7 * 86400.0))
        out.cooldown_override_s[static_cast<int>(*a)] = *v;
    }
  }
  if (auto n = g["auto_safe_mode"]) {
    if (auto v = p.Bool(n, "global.auto_safe_mode")) out.auto_safe_mode = *v;
  }
  if (auto s = g["sensor_checks"]; s && p.Map(s, "global.sensor_checks")) {
    p.Known(s, "global.sensor_checks",
            {"stuck_samples", "dropout_channels", "wheel_spin_down_ratio"});
    if (auto n = s["wheel_spin_down_ratio"]) {
      if (auto v = p.Number(n, "global.sensor_checks.wheel_spin_down_ratio", 0, 0.9))
        out.sensor_checks.wheel_spin_down_ratio = *v;
    }
    if (auto n = s["stuck_samples"]) {
      if (auto v = p.Number(n, "global.sensor_checks.stuck_samples", 0, 10000))
        out.sensor_checks.stuck_samples = static_cast<int>(*v);
    }
    if (auto n = s["dropout_channels"]) {
      auto chans = p.EnumList<StdChannel>(n, "global.sensor_checks.dropout_channels",
                                          ParseStdChannel, "channel");
      out.sensor_checks.dropout_enabled.fill(false);
      for (auto c : chans) out.sensor_checks.dropout_enabled[static_cast<int>(c)] = true;
    }
  }
  if (auto r = g["responses"]; r && p.Map(r, "global.responses")) {
    for (const auto& kv : r) {
      const std::string key = kv.first.as<std::string>();
      auto t = ParseFaultType(key);
      if (!t) {
        p.Error("global.responses." + key, "unknown fault type");
        continue;
      }
      out.responses[static_cast<int>(*t)] =
          p.EnumList<Action>(kv.second, "global.responses." + key, ParseAction, "action");
    }
  }
}

void ParseRule(Parser& p, const YAML::Node& n, const std::string& path, EscalationRule& rule) {
  if (!p.Map(n, path)) return;
  p.Known(n, path,
          {"severity_min", "recurrence_min", "persist_min_seconds", "fault_types", "min_confidence",
           "action"});
  if (auto s = n["severity_min"]) {
    if (auto v = p.Enum<Severity>(s, path + ".severity_min", ParseSeverity, "severity"))
      rule.severity_min = *v;
  }
  if (auto r = n["recurrence_min"]) {
    if (auto v = p.Number(r, path + ".recurrence_min", 1, 1e6)) rule.recurrence_min = int(*v);
  }
  if (auto d = n["persist_min_seconds"]) {
    if (auto v = p.Number(d, path + ".persist_min_seconds", 0, 30 * 86400.0))
      rule.persist_min_s = *v;
  }
  if (auto t = n["fault_types"]) {
    rule.fault_types =
        p.EnumList<FaultType>(t, path + ".fault_types", ParseFaultType, "fault type");
  }
  if (auto c = n["min_confidence"]) {
    if (auto v = p.Number(c, path + ".min_confidence", 0, 1)) rule.min_confidence = *v;
  }
  if (auto a = n["action"]) {
    if (auto v = p.Enum<Action>(a, path + ".action", ParseAction, "action")) rule.action = *v;
  } else {
    p.Error(path + ".action", "required");
  }
}

void ParsePhasePolicy(Parser& p, const YAML::Node& n, const std::string& path, PhasePolicy& out) {
  if (!p.Map(n, path)) return;
  p.Known(n, path,
          {"description", "threshold_multiplier", "act_min_severity", "low_action",
           "allowed_actions", "escalation_rules"});
  if (auto d = n["description"]) {
    if (auto v = p.Str(d, path + ".description")) out.description = *v;
  }
  if (auto m = n["threshold_multiplier"]) {
    if (auto v = p.Number(m, path + ".threshold_multiplier", 0.1, 10))
      out.threshold_multiplier = *v;
  }
  if (auto s = n["act_min_severity"]) {
    if (auto v = p.Enum<Severity>(s, path + ".act_min_severity", ParseSeverity, "severity"))
      out.act_min_severity = *v;
  }
  if (auto a = n["low_action"]) {
    if (auto v = p.Enum<Action>(a, path + ".low_action", ParseAction, "action"))
      out.low_action = *v;
  }
  if (auto a = n["allowed_actions"]) {
    out.allowed_actions = p.EnumList<Action>(a, path + ".allowed_actions", ParseAction, "action");
  } else {
    p.Error(path + ".allowed_actions", "required");
  }
  if (!out.Allows(Action::kLogEvent)) p.Error(path + ".allowed_actions", "must contain LOG_EVENT");
  if (!out.Allows(out.low_action)) p.Error(path + ".low_action", "not in allowed_actions");
  if (auto r = n["escalation_rules"]) {
    if (!r.IsSequence()) {
      p.Error(path + ".escalation_rules", "must be a list");
    } else {
      for (size_t i = 0; i < r.size(); ++i) {
        const std::string rp = path + ".escalation_rules[" + std::to_string(i) + "]";
        EscalationRule rule;
        ParseRule(p, r[i], rp, rule);
        if (!out.Allows(rule.action)) p.Error(rp + ".action", "not in allowed_actions");
        out.escalation_rules.push_back(std::move(rule));
      }
    }
  }
}

}  // namespace

bool PhasePolicy::Allows(Action a) const {
  return std::find(allowed_actions.begin(), allowed_actions.end(), a) != allowed_actions.end();
}

double GlobalPolicy::CooldownFor(Action a) const {
  const auto& o = cooldown_override_s[static_cast<int>(a)];
  return o ? *o : cooldown_s;
}

std::string EscalationRule::Describe() const {
  std::string s = "severity >= " + std::string(SeverityName(severity_min));
  if (recurrence_min > 1) s += " and recurrence >= " + std::to_string(recurrence_min);
  if (persist_min_s > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " and persisting >= %g s", persist_min_s);
    s += buf;
  }
  if (!fault_types.empty()) {
    s += " and type in [";
    for (size_t i = 0; i < fault_types.size(); ++i)
      s += (i ? ", " : "") + std::string(FaultTypeName(fault_types[i]));
    s += "]";
  }
  s += " -> " + std::string(ActionName(action));
  return s;
}

Result<PolicySet> ParsePolicyYaml(std::string_view yaml, std::string source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::Error(Code::kValidation, "policy " + source + ": YAML syntax: " + e.what(),
                         {{"policy", e.what()}});
  }
  Parser p;
  PolicySet set;
  set.source = std::move(source);
  try {
    if (!root.IsMap()) {
      p.Error("", "root must be a mapping");
    } else {
      p.Known(root, "", {"version", "global", "phases"});
      if (!root["version"] || root["version"].as<std::string>() != "1") {
        p.Error("version", "must be 1");
      }
      if (auto g = root["global"]) ParseGlobal(p, g, set.global);
      auto phases = root["phases"];
      if (!phases || !phases.IsMap()) {
        p.Error("phases", "required mapping of all five phases");
      } else {
        for (const auto& kv : phases) {
          const std::string key = kv.first.as<std::string>();
          if (!ParsePhase(key)) p.Error("phases." + key, "unknown phase");
        }
        for (Phase ph : kAllPhases) {
          const std::string key(PhaseName(ph));
          if (!phases[key]) {
            p.Error("phases." + key, "missing");
            continue;
          }
          ParsePhasePolicy(p, phases[key], "phases." + key, set.phases[static_cast<int>(ph)]);
        }
      }
    }
  } catch (const YAML::Exception& e) {
    p.Error("", std::string("YAML: ") + e.what());
  }
  if (!p.errors.empty()) {
    std::string msg = "policy " + set.source + ": " + std::to_string(p.errors.size()) +
                      " error(s); first: " + p.errors[0].field + ": " + p.errors[0].message;
    return Status::Error(Code::kValidation, std::move(msg), std::move(p.errors));
  }
  return set;
}

Result<PolicySet> LoadPolicyFile(const std::string& path) {
  auto text = ReadRegularFile(path, kMaxPolicyFileBytes, "policy file");
  if (!text.ok()) {
    return Status::Error(text.status().code(), text.status().message(), {{"policy", path}});
  }
  return ParsePolicyYaml(*text, path);
}

namespace {

// Whole seconds for the reasoning text; NaN -> 0, and clamped so the cast is always defined
// (a year is far beyond any episode the recovery window keeps).
int64_t WholeSeconds(double s) {
  if (!(s > 0)) return 0;
  return static_cast<int64_t>(std::min(s, 1e12));
}

}  // namespace

Decision Decide(const PolicySet& policy, Phase phase, FaultType type, double anomaly_score,
                double confidence, int recurrence, double episode_age_s) {
  const PhasePolicy& pp = policy.For(phase);
  const GlobalPolicy& g = policy.global;
  Decision d;
  const double s = std::isnan(anomaly_score) ? 0.0 : anomaly_score;
  d.severity_score = std::clamp(s / pp.threshold_multiplier, 0.0, 1.0);
  d.severity = SeverityFromScore(d.severity_score);

  std::string why = "type=" + std::string(FaultTypeName(type)) +
                    " severity=" + std::string(SeverityName(d.severity)) +
                    " phase=" + std::string(PhaseName(phase)) +
                    " recurrence=" + std::to_string(recurrence) +
                    " episode_age_s=" + std::to_string(WholeSeconds(episode_age_s));
  for (size_t i = 0; i < pp.escalation_rules.size(); ++i) {
    const EscalationRule& r = pp.escalation_rules[i];
    const double min_conf = r.min_confidence.value_or(g.min_confidence_for_escalation);
    if (d.severity < r.severity_min || recurrence < r.recurrence_min ||
        episode_age_s < r.persist_min_s || confidence < min_conf)
      continue;
    if (!r.fault_types.empty() &&
        std::find(r.fault_types.begin(), r.fault_types.end(), type) == r.fault_types.end())
      continue;
    d.action = r.action;
    d.escalated = true;
    d.rule_index = static_cast<int>(i);
    d.reasoning = why + " | escalation rule " + std::to_string(i) + ": " + r.Describe();
    return d;
  }
  if (d.severity < pp.act_min_severity) {
    d.action = pp.low_action;
    d.reasoning = why + " | below act_min_severity " +
                  std::string(SeverityName(pp.act_min_severity)) + " -> " +
                  std::string(ActionName(d.action));
    return d;
  }
  if (confidence < g.min_confidence_for_action) {
    d.action = pp.low_action;
    d.reasoning = why + " | detection confidence below min_confidence_for_action -> " +
                  std::string(ActionName(d.action));
    return d;
  }
  d.action = Action::kLogEvent;
  bool chosen = false;
  for (Action a : g.responses[static_cast<int>(type)]) {
    if (pp.Allows(a)) {
      d.action = a;
      chosen = true;
      break;
    }
    d.blocked.push_back(a);
  }
  d.reasoning = why + " | response " + std::string(ActionName(d.action));
  if (!d.blocked.empty()) {
    d.reasoning += " (not allowed in phase:";
    for (Action a : d.blocked) d.reasoning += " " + std::string(ActionName(a));
    d.reasoning += ")";
  }
  if (!chosen) d.reasoning += " (no configured response allowed; default LOG_EVENT)";
  return d;
}

}  // namespace astraguard::mission
