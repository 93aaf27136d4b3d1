#pragma once
// ReadRegularFile: reads a whole configuration-sized file (model, policy) with a size cap.
// Opened non-blocking so that a FIFO cannot stall the open, then fstat'ed: devices
// (/dev/zero), FIFOs and directories are refused before a byte is read; a file larger than
// `cap` is refused, and one that grows past it while being read stops after cap + 1 bytes.
// Errors: kNotFound (cannot open), kInvalidArgument (not a regular file, too large),
// kUnavailable (read error); each message starts with `what` and the path.
// Thread-safety: stateless.

#include <cstddef>
#include <string>
#include <string_view>

#include "astraguard/common/status.hpp"

namespace astraguard {

Result<std::string> ReadRegularFile(const std::string& path, std::size_t cap,
                                    std::string_view what);

}  // namespace astraguard
