#include "astraguard/common/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace astraguard {

Result<std::string> ReadRegularFile(const std::string& path, std::size_t cap,
                                    std::string_view what) {
  const std::string name = std::string(what) + " " + path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Status::Error(Code::kNotFound, name + " not found");
  std::string out;
  Status error;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = Status::Error(Code::kInvalidArgument, name + " is not a regular file");
  } else if (static_cast<std::uintmax_t>(st.st_size) > cap) {
    error = Status::Error(Code::kInvalidArgument, name + " is " + std::to_string(st.st_size) +
                                                      " bytes, larger than the " +
                                                      std::to_string(cap) + " allowed");
  } else {
    out.reserve(static_cast<std::size_t>(st.st_size));
    char buf[1 << 16];
    while (true) {
      // out.size() <= cap here, so each read asks for 1..64 KiB and the total stops at cap + 1.
      const ssize_t n = ::read(fd, buf, std::min(sizeof buf, cap + 1 - out.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = Status::Error(Code::kUnavailable, "cannot read " + name);
        break;
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > cap) {
        error = Status::Error(Code::kInvalidArgument,
                              name + " is larger than " + std::to_string(cap) + " bytes");
        break;
      }
    }
  }
  ::close(fd);
  if (!error.ok()) return error;
  return out;
}

}  // namespace astraguard
