#pragma once
// Training: fits a Model (one ChannelModel per channel) from nominal history and writes it.
//
// Accepted inputs for TrainOptions::data:
//   - a directory laid out like the NASA SMAP/MSL split: every `<chan>_train.npy[.gz]` in it or
//     in its immediate subdirectories becomes channel <chan> (column 0 the value, the other
//     columns the predictor's inputs);
//   - a CSV file with a header row: every column whose cells are all numbers is a channel
//     (columns such as timestamp or satellite_id are skipped); rows grouped by a
//     `satellite_id` column if present;
//   - an NDJSON file (.ndjson/.jsonl) of telemetry records: top-level numeric fields and the
//     numeric members of a `channels` object are channels; records grouped by `satellite_id`.
// Per channel, each satellite's series is fitted together (the predictor never spans two
// satellites).
//
// Thread-safety: free functions without shared state.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/detect/channel_model.hpp"
#include "astraguard/detect/model.hpp"

namespace astraguard::detect {

struct TrainOptions {
  std::string data;                   // directory, .csv, .ndjson or .jsonl
  std::string profile;                // instead of data: "nominal" (see NominalProfile)
  std::string out;                    // model file to write
  std::vector<std::string> channels;  // empty: all channels found
  DetectorConfig detector;
};

// One channel's nominal history, possibly from several satellites (segments).
struct TrainingSeries {
  std::vector<std::vector<double>> segments;
};

// A small synthetic nominal profile of the five standard channels (`train --profile nominal`,
// and the engine's unit tests). The shipped default model is trained from the satellite
// simulator instead (src/astraguard/cli/CMakeLists.txt). Per satellite s (0-based), step t,
// orbit phase p = 2 pi (t mod 90)/90:
//   voltage     = 28.0 + 0.8 sin(p) + N(0, 0.05) V
//   temperature = 20.0 + 15.0 sin(p + s) + N(0, 0.3) C
//   gyro        = N(0, 0.002) rad/s
//   current     = 3.0 + 0.5 cos(p) + N(0, 0.05) A
//   wheel_speed = 2500 + 200 s + N(0, 20) RPM
// Deterministic for a given seed (own xorshift generator, identical on every platform).
std::map<std::string, TrainingSeries> NominalProfile(std::size_t steps, int satellites,
                                                     std::uint64_t seed);

// Reads CSV or NDJSON telemetry into per-channel series (a regular file only: devices and FIFOs
// are refused before they are opened).
Result<std::map<std::string, TrainingSeries>> ReadTelemetryHistory(const std::string& path);

// Fits one channel from several segments (concatenated with the lag window reset at seams).
Result<ChannelModel> FitSegments(const std::string& name, const TrainingSeries& series,
                                 const DetectorConfig& config);

// Builds the model from `options.data`.
Result<Model> TrainModel(const TrainOptions& options, std::ostream& log);

// `astraguard train`: trains and writes options.out. Returns 0 ok, 1 data error, 2 usage.
int RunTrain(const TrainOptions& options, std::ostream& out, std::ostream& err);

}  // namespace astraguard::detect
