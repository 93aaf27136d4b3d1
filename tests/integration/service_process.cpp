#include "service_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>
#include <thread>

#ifndef ASTRAGUARD_BINARY
#error "ASTRAGUARD_BINARY must point at the built binary"
#endif

namespace astraguard::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int& out_fd, unsigned nofile = 0) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (nofile != 0) {
      rlimit lim{nofile, nofile};
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    std::vector<std::string> envs = {"PATH=/usr/bin:/bin"};
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* v = getenv(name)) envs.push_back(std::string(name) + "=" + v);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> argv{const_cast<char*>(ASTRAGUARD_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(ASTRAGUARD_BINARY, argv.data(), envp.data());
    _exit(127);
  }
  close(pipefd[1]);
  out_fd = pipefd[0];
  fcntl(out_fd, F_SETFL, O_NONBLOCK);
  return pid;
}

// A child built with sanitizers reports to stderr and may still exit 0 (or be killed before it
// exits): any report in its output fails the running test, whatever the test checks.
void FailOnSanitizerReport(const std::string& output) {
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             "WARNING: ThreadSanitizer", "runtime error:"}) {
    const size_t at = output.find(marker);
    if (at != std::string::npos) {
      ADD_FAILURE() << "sanitizer report from " << ASTRAGUARD_BINARY << ":\n"
                    << output.substr(at > 2000 ? at - 2000 : 0, 12000);
      return;
    }
  }
}

}  // namespace

ServiceProcess::ServiceProcess(std::vector<std::string> args,
                               std::map<std::string, std::string> env, unsigned nofile) {
  if (std::find(args.begin(), args.end(), "--port") == args.end()) {
    for (const char* a : {"--host", "127.0.0.1", "--port", "0", "--metrics-port", "0"}) {
      args.push_back(a);
    }
  }
  pid_ = Spawn(args, env, out_fd_, nofile);
  reader_ = std::thread([this] { Reader(); });
  static const std::regex kApi(R"re("?api_port"?[:=](\d+))re");
  static const std::regex kMetrics(R"re("?metrics_port"?[:=](\d+))re");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline && !exited_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string out = output();
    std::smatch a, m;
    if (std::regex_search(out, a, kApi) && std::regex_search(out, m, kMetrics)) {
      api_port_ = static_cast<uint16_t>(std::stoi(a[1]));
      metrics_port_ = static_cast<uint16_t>(std::stoi(m[1]));
      return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
  }
}

ServiceProcess::~ServiceProcess() {
  // A graceful stop, so that what happens at shutdown (drain, destructors) is exercised and any
  // sanitizer report it produces is seen.
  if (!exited_ && pid_ > 0) Wait(std::chrono::seconds(20), SIGTERM);
  stop_reader_.store(true);
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
  FailOnSanitizerReport(output_);
}

void ServiceProcess::Reader() {
  char buf[65536];
  while (!stop_reader_.load()) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n == 0) return;  // every writer closed: the child and its threads are gone
    if (n < 0) continue;  // EAGAIN/EINTR
    std::lock_guard<std::mutex> lock(mu_);
    output_.append(buf, static_cast<size_t>(n));
  }
}

std::string ServiceProcess::output() {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

void ServiceProcess::Signal(int sig) { kill(pid_, sig); }

int ServiceProcess::Wait(std::chrono::milliseconds timeout, int sig) {
  if (sig != 0) kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the reader catch up
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  exited_ = true;
  return -1;
}

int RunShell(const std::string& cmd, std::string* out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::pair<int, std::string> RunToCompletion(std::vector<std::string> args,
                                            std::map<std::string, std::string> env) {
  int fd = -1;
  pid_t pid = Spawn(args, env, fd);
  std::string out;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 20);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  FailOnSanitizerReport(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace astraguard::testing
