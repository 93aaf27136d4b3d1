#pragma once
// ScriptedServer (tests only): a scripted HTTP/1.1 server on 127.0.0.1:<ephemeral port>. For each
// request it reads the headers and a Content-Length body, records the request, and sends the
// next scripted reply (the last one repeats); after `close_after` replies on one connection it
// closes it (to exercise client reconnects).
//
// Threading: one accept thread, started by the constructor and joined by the destructor. Read
// `requests` only after the client is done; `connections` may be read at any time.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace astraguard::http::testing {

class ScriptedServer {
 public:
  ScriptedServer(std::vector<std::string> replies, int close_after);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  int port() const { return port_; }

  std::vector<std::string> requests;  // raw requests, in arrival order
  std::atomic<int> connections{0};

 private:
  void Serve();

  std::vector<std::string> replies_;
  int close_after_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// "HTTP/1.1 <status> X" with a Content-Length framed body.
std::string Reply(int status, const std::string& body);

}  // namespace astraguard::http::testing
