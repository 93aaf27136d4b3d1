#include "astraguard/http/client/testing/scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace astraguard::http::testing {

ScriptedServer::ScriptedServer(std::vector<std::string> replies, int close_after)
    : replies_(std::move(replies)), close_after_(close_after) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd_, 8);
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
}

void ScriptedServer::Serve() {
  size_t next = 0;
  while (!stop_) {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    ++connections;
    std::string buf;
    for (int served = 0; served < close_after_; ++served) {
      size_t hdr;
      char tmp[4096];
      bool eof = false;
      while ((hdr = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) {
          eof = true;
          break;
        }
        buf.append(tmp, n);
      }
      if (eof) break;
      size_t cl = 0;
      if (auto p = buf.find("Content-Length: "); p != std::string::npos && p < hdr)
        cl = std::stoul(buf.substr(p + 16));
      while (buf.size() < hdr + 4 + cl) {
        ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, n);
      }
      requests.push_back(buf.substr(0, hdr + 4 + cl));
      buf.erase(0, hdr + 4 + cl);
      const std::string& r = replies_[std::min(next++, replies_.size() - 1)];
      ::send(c, r.data(), r.size(), MSG_NOSIGNAL);
    }
    ::close(c);
  }
}

std::string Reply(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace astraguard::http::testing
