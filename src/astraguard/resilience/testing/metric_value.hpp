#pragma once
// Test helper: the value of one metric sample in a registry (counter, gauge, or a histogram's
// sample count), found by family name and exact label set; -1 when absent.

#include <prometheus/registry.h>

#include <map>
#include <string>

namespace astraguard::resilience::testing {

inline double MetricValue(const prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : m.label) got[l.name] = l.value;
      if (got != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter: return m.counter.value;
        case prometheus::MetricType::Gauge: return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(m.histogram.sample_count);
        default: return -1;
      }
    }
  }
  return -1;
}

}  // namespace astraguard::resilience::testing
