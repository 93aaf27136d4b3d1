// Model files (detect::Model::Parse, what ASTRAGUARD_MODEL loads). A file whose checksum does
// not match is refused before its body is read, so the input is taken as the body and given a
// valid header and checksum; an input starting with '!' is parsed as a whole file instead.
// A model that parses must validate, serialize and parse back to the same text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "astraguard/detect/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using astraguard::detect::Model;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string text;
  if (!in.empty() && in.front() == '!') {
    text = in.substr(1);
  } else {
    char sum[17];
    std::snprintf(sum, sizeof sum, "%016llx",
                  static_cast<unsigned long long>(astraguard::detect::Fnv1a64(in)));
    text = std::string("astraguard-model 1\nchecksum fnv1a64 ").append(sum).append("\n").append(in);
  }
  auto model = Model::Parse(text);
  if (!model.ok()) return 0;
  if (!model->Validate().ok()) std::abort();
  const std::string again = model->Serialize();
  auto reparsed = Model::Parse(again);
  if (!reparsed.ok() || reparsed->Serialize() != again) std::abort();
  return 0;
}
