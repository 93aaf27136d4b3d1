// Configuration values: one row of the settings table (config::Settings(), chosen by the first
// byte) given the rest of the input as its value, through config::Load as at start-up. Covers
// every value parser (numbers, durations, booleans, log levels, key=value lists, limit strings,
// URLs). A value that loads can be described (check-config) without a crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "astraguard/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace config = astraguard::config;
  if (size == 0) return 0;
  const auto& settings = config::Settings();
  const config::Setting& row = settings[data[0] % settings.size()];
  config::EnvMap env{{std::string(row.env), std::string(reinterpret_cast<const char*>(data + 1), size - 1)}};
  auto loaded = config::Load(env, {}, "0.0.0-fuzz");
  if (loaded.ok()) (void)config::Describe(*loaded);
  return 0;
}
