#include "astraguard/http/client.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace astraguard::http {

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res); rc != 0) {
    return Status::Error(Code::kUnavailable, fmt::format("resolve {}: {}", host_, gai_strerror(rc)));
  }
  Status st = Status::Error(Code::kUnavailable, fmt::format("connect {}:{} failed", host_, port_));
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{static_cast<time_t>(timeout_.count() / 1000),
               static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      st = Status::Ok();
      break;
    }
    st = Status::Error(Code::kUnavailable,
                       fmt::format("connect {}:{}: {}", host_, port_, std::strerror(errno)));
    ::close(fd);
  }
  freeaddrinfo(res);
  return st;
}

Result<ClientResponse> HttpClient::Send(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type, const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\n", method, target, host_, port_);
  if (!body.empty() || method == "POST") {
    req += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", content_type, body.size());
  }
  for (const auto& [k, v] : headers) req += fmt::format("{}: {}\r\n", k, v);
  req += "\r\n";
  req += body;

  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (Status st = Connect(); !st.ok()) return st;
    }
    size_t sent = 0;
    while (sent < req.size()) {
      ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    // Read until headers and the Content-Length body are complete.
    ClientResponse out;
    size_t header_end = std::string::npos;
    size_t need = std::string::npos;
    bool failed = sent < req.size();
    while (!failed) {
      if (header_end == std::string::npos) {
        header_end = buffer_.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string_view head(buffer_.data(), header_end);
          size_t line_end = head.find("\r\n");
          std::string_view status_line = head.substr(0, line_end);
          if (status_line.size() < 12) return Status::Error(Code::kInternal, "bad status line");
          out.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
          size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
          while (pos < head.size()) {
            size_t e = head.find("\r\n", pos);
            if (e == std::string_view::npos) e = head.size();
            std::string_view line = head.substr(pos, e - pos);
            size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
              std::string name(line.substr(0, colon));
              std::transform(name.begin(), name.end(), name.begin(), ::tolower);
              std::string_view value = line.substr(colon + 1);
              while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
              out.headers[name] = std::string(value);
            }
            pos = e + 2;
          }
          size_t length = 0;
          if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
            length = std::strtoull(it->second.c_str(), nullptr, 10);
          }
          need = header_end + 4 + length;
          if (out.status == 100) {  // interim response: drop it and read the final one
            buffer_.erase(0, header_end + 4);
            header_end = std::string::npos;
            out.headers.clear();
            continue;
          }
        }
      }
      if (need != std::string::npos && buffer_.size() >= need) {
        out.body = buffer_.substr(header_end + 4, need - header_end - 4);
        buffer_.erase(0, need);
        auto conn = out.headers.find("connection");
        if (conn != out.headers.end() && conn->second == "close") Close();
        return out;
      }
      char chunk[16384];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        failed = true;
        break;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    const bool nothing_received = buffer_.empty();
    Close();
    // A reused keep-alive connection may have been closed by the server while idle: retry once.
    if (!(reused && nothing_received)) break;
  }
  return Status::Error(Code::kUnavailable,
                       fmt::format("{} {} to {}:{}: connection closed", method, target, host_,
                                   port_));
}

}  // namespace astraguard::http
