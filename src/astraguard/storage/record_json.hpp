#pragma once
// The JSON form of an AnomalyRecord (without its id and feedback, which live under their own
// keys) and of a Feedback, as the Redis stores keep them. Decoding is strict: a value that is
// not what Encode wrote is kInternal (a corrupt or foreign key), never a crash.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "astraguard/common/status.hpp"
#include "astraguard/storage/anomaly_store.hpp"

namespace astraguard::storage {

std::string EncodeRecord(const AnomalyRecord& r);
Result<AnomalyRecord> DecodeRecord(std::string_view json, std::string id);
std::string EncodeFeedback(const Feedback& f);
Result<Feedback> DecodeFeedback(std::string_view json);

}  // namespace astraguard::storage
