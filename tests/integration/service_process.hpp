#pragma once
// Test support: runs the real `astraguard` binary as a child process on free ports, and speaks
// raw bytes to it. The destructor stops the child with SIGTERM; a sanitizer report anywhere in a
// child's output fails the current test. Not thread-safe: one owner per instance.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "astraguard/http/client/testing/raw_socket.hpp"

namespace astraguard::testing {

class ServiceProcess {
 public:
  // Starts `astraguard <args...>` with the given extra environment (on top of a minimal one)
  // and waits for its "listening" line. Adds --host 127.0.0.1 --port 0 --metrics-port 0 unless
  // the args already contain --port.
  // `nofile`, when not 0, is the child's RLIMIT_NOFILE (soft and hard).
  explicit ServiceProcess(std::vector<std::string> args = {"serve"},
                          std::map<std::string, std::string> env = {}, unsigned nofile = 0);
  ~ServiceProcess();

  bool started() const { return api_port_ != 0; }
  uint16_t api_port() const { return api_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }
  // Everything the process printed on stdout so far. A reader thread drains the pipe
  // continuously, so a chatty child (one access-log line per request) never blocks on it.
  std::string output();

  void Signal(int sig);
  // Sends `sig` (when not 0), waits for exit; returns the exit code, or -1 on timeout (then
  // kills it).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(15), int sig = 0);

 private:
  void Reader();
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::mutex mu_;
  std::string output_;  // guarded by mu_
  std::atomic<bool> stop_reader_{false};
  std::thread reader_;
  uint16_t api_port_ = 0;
  uint16_t metrics_port_ = 0;
  bool exited_ = false;
};

// Runs the binary to completion; returns {exit code, stdout+stderr}.
std::pair<int, std::string> RunToCompletion(std::vector<std::string> args,
                                            std::map<std::string, std::string> env = {});

// Runs `cmd` with /bin/sh, appending its stdout+stderr to *out; returns its exit code (-1 if it
// could not run or did not exit).
int RunShell(const std::string& cmd, std::string* out);

// Raw-socket helpers (Connect, SendAll, ReadUntilClose, RawExchange, StatusOf).
using http::testing::Connect;
using http::testing::RawExchange;
using http::testing::ReadUntilClose;
using http::testing::SendAll;
using http::testing::StatusOf;

}  // namespace astraguard::testing
