#include "astraguard/obs/otlp/testing/otlp_receiver.hpp"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace astraguard::obs::testing {

std::string ReceiverScriptPath() { return AG_OTLP_RECEIVER_JS; }

OtlpReceiver::OtlpReceiver(std::vector<std::string> extra_args) {
  char tmpl[] = "/tmp/ag-otlp-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return;
  dir_ = tmpl;
  std::vector<std::string> args = {"node",  ReceiverScriptPath(), "--port",
                                   "0",     "--port-file",        dir_ + "/port",
                                   "--out", dir_ + "/out.jsonl"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (::posix_spawnp(&pid_, "node", nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    return;
  }
  for (int i = 0; i < 200 && port_ == 0; ++i) {  // up to 10 s for node to start
    std::ifstream in(dir_ + "/port");
    int p = 0;
    if (in >> p) {
      port_ = p;
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

OtlpReceiver::~OtlpReceiver() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  if (!dir_.empty()) {
    ::unlink((dir_ + "/port").c_str());
    ::unlink((dir_ + "/out.jsonl").c_str());
    ::rmdir(dir_.c_str());
  }
}

std::string OtlpReceiver::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
}

std::vector<boost::json::object> OtlpReceiver::Lines() const {
  std::vector<boost::json::object> out;
  std::ifstream in(dir_ + "/out.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

std::vector<boost::json::object> OtlpReceiver::Lines(std::string_view type) const {
  std::vector<boost::json::object> out;
  for (auto& o : Lines())
    if (o.contains("type") && o.at("type").as_string() == type) out.push_back(std::move(o));
  return out;
}

std::vector<boost::json::object> OtlpReceiver::WaitForSpans(
    std::size_t n, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto spans = Lines("span");
    if (spans.size() >= n || std::chrono::steady_clock::now() >= until) return spans;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace astraguard::obs::testing
