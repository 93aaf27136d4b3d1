// Telemetry bodies (ingest::ParseTelemetry, the decoder behind POST /api/v1/telemetry and each
// batch item). A record that decodes satisfies the documented bounds.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "astraguard/ingest/telemetry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ingest = astraguard::ingest;
  auto r = ingest::ParseTelemetry(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  const bool bounded = r->voltage >= 0 && r->voltage <= 50 && r->temperature >= -100 &&
                       r->temperature <= 150 && std::abs(r->gyro) <= ingest::kMaxGyro &&
                       r->channels.size() <= ingest::kMaxChannels &&
                       ingest::IsValidName(r->satellite_id);
  if (!bounded) std::abort();
  for (const auto& [name, value] : r->channels) {
    if (!ingest::IsValidName(name) || !std::isfinite(value)) std::abort();
  }
  return 0;
}
