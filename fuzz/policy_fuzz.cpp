// Mission policy YAML (mission::ParsePolicyYaml, what ASTRAGUARD_POLICY_FILE loads): any
// input gives a PolicySet or a validation error, never a crash.
#include <cstdint>
#include <string_view>

#include "astraguard/mission/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)astraguard::mission::ParsePolicyYaml(
      std::string_view(reinterpret_cast<const char*>(data), size), "<fuzz>");
  return 0;
}
