#include "astraguard/kv/testing/redis_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "astraguard/common/testing/free_port.hpp"
#include "astraguard/kv/redis_client.hpp"

namespace astraguard::kv::testing {

RedisOptions RedisServer::client_options() const {
  RedisOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = port_;
  o.reconnect_interval = std::chrono::milliseconds(0);
  return o;
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/ag-redis-XXXXXX";
  if (char* d = ::mkdtemp(tmpl)) dir_ = d;
  port_ = astraguard::testing::FreePort();
  Start();
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

bool RedisServer::Start() {
  if (pid_ > 0) return true;
  std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind",
                                   "127.0.0.1", "--dir", dir_, "--save", "", "--daemonize", "no",
                                   "--logfile", dir_ + "/redis.log", "--enable-debug-command", "local"};
  bool aof = false;
  for (const auto& a : extra_args_) aof = aof || a == "--appendonly";
  if (!aof) args.insert(args.end(), {"--appendonly", "no"});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  RedisOptions o = client_options();
  o.timeout = std::chrono::milliseconds(200);
  RedisClient probe(o);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = probe.Run({"PING"});
    if (r.ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

}  // namespace astraguard::kv::testing
