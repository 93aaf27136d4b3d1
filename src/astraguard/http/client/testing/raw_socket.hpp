#pragma once
// Tests only: raw bytes over loopback TCP, for tests that must say exactly what a client sends
// (malformed requests, pipelining, stalled readers) to a server on 127.0.0.1.

#include <chrono>
#include <cstdint>
#include <string>

namespace astraguard::http::testing {

// Opens a TCP connection to 127.0.0.1:port (with SO_RCVBUF `rcvbuf` when > 0); -1 on failure.
int Connect(uint16_t port, int rcvbuf = 0);
// Sends all of `bytes` on an open socket; false when the peer is gone.
bool SendAll(int fd, const std::string& bytes);
// Reads until the peer closes or `quiet` passes with no data.
std::string ReadUntilClose(int fd, std::chrono::milliseconds quiet);
// Connect, send, read until close (or `quiet` without data), close.
std::string RawExchange(uint16_t port, const std::string& bytes,
                        std::chrono::milliseconds quiet = std::chrono::seconds(5));
// The status code of the first response in raw bytes, 0 when none.
int StatusOf(const std::string& raw);

}  // namespace astraguard::http::testing
