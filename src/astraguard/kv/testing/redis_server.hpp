#pragma once
// Test support: a real redis-server (Debian's) on 127.0.0.1 and a free port, in its own temporary
// directory, started in the foreground as a child process. Stop() kills it (SIGKILL, like a crash
// or a network cut) and Start() starts it again on the same port and directory, so AOF data
// survives a restart. The destructor stops it and removes the directory.
// Not thread-safe: one owner.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "astraguard/kv/redis_client.hpp"

namespace astraguard::kv::testing {

class RedisServer {
 public:
  // `extra_args` are appended to redis-server's command line (e.g. {"--appendonly", "yes"}).
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();

  bool Start();  // true once it answers PING (within 5 s)
  void Stop();   // SIGKILL and reap
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  // Options for a client of this server: loopback, its port, reconnect without waiting.
  RedisOptions client_options() const;

 private:
  std::vector<std::string> extra_args_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace astraguard::kv::testing
