#pragma once
// Model: the learned per-channel behaviour of a fleet (one ChannelModel per channel name) plus
// the DetectorConfig it was trained with, stored as a versioned text file with a checksum.
//
// File format (version 1), UTF-8 text:
//   astraguard-model 1
//   checksum fnv1a64 <16 hex digits over every byte after this line>
//   config <key>=<value> ...
//   channel <name> lags <L> horizon <H> inputs <K> min <v> max <v> residual_sd <v> last <v>
//           method <0|1> max_run <n> var_max <v>   (var_max: absent in files written before
//           the variability rule; the rule then stays off for that channel)
//   weights <L + K + 1 numbers>
//   tail <L + H - 1 numbers>
//   prime <n> <n numbers>
//   reference <n> <n numbers>        (history kept by method 1, else 0)
//   mlp <hidden> <lags> <mean> <scale> <n> <n numbers>   (residual network, n = 0 without one;
//                                      absent in older files: no network)
//   (channel block repeated)
// A config key the file does not carry takes the built-in DetectorConfig default (a file written
// before range_margin/range_steps existed gets the learned-range rule; range_steps=0 turns it
// off). A missing, truncated, tampered or unknown-version file is an error value, never a crash:
// the engine then runs limits and robust statistics only and reports itself degraded.
//
// The checksum only catches accidents (anyone can recompute it). What protects the detector
// from a crafted file is the structural validation Parse runs after reading (Validate():
// ValidateDetectorConfig and ValidateChannelModel for every channel, channel_model.hpp): sizes
// consistent with the declared dimensions, lengths and windows within their maxima, every
// number finite and in range, checked before any value is narrowed to float or cast to an
// integer. Its errors name the channel and field. Load reads at most kMaxFileBytes from a
// regular file (never from a device or FIFO: /dev/zero is refused, not read).
//
// Thread-safety: a loaded Model is immutable; share it as shared_ptr<const Model>.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/channel_model.hpp"

namespace astraguard::detect {

struct Model {
  static constexpr int kVersion = 1;
  // Largest model file Load reads: 64 MiB. The shipped 5-channel model is ~0.2 MB and a
  // 50-channel SMAP/MSL model (2,000 prime errors + 4,000 reference values each) ~7 MB.
  static constexpr std::size_t kMaxFileBytes = 64u << 20;

  DetectorConfig config;
  std::map<std::string, ChannelModel, std::less<>> channels;

  const ChannelModel* Find(std::string_view name) const {
    auto it = channels.find(name);
    return it == channels.end() ? nullptr : &it->second;
  }

  // Text image with header and checksum.
  std::string Serialize() const;
  // Checksum, syntax, then Validate(): an error value for any violation, never a crash.
  static Result<Model> Parse(std::string_view text);
  // The structural integrity check (see the file comment); kInvalidArgument naming the channel
  // and field of the first violation.
  Status Validate() const;

  Status Save(const std::string& path) const;
  // kNotFound when the file cannot be opened; kInvalidArgument when it is not a regular file,
  // is larger than kMaxFileBytes, or does not Parse.
  static Result<Model> Load(const std::string& path);
};

// FNV-1a 64-bit hash (the file checksum).
std::uint64_t Fnv1a64(std::string_view bytes);

}  // namespace astraguard::detect
