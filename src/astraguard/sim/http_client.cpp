#include "astraguard/sim/http_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace astraguard::sim {
namespace {

Status Unavailable(std::string msg) { return Status::Error(Code::kUnavailable, std::move(msg)); }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

Result<std::pair<std::string, int>> ParseHostPort(std::string_view url) {
  if (url.starts_with("http://")) url.remove_prefix(7);
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  int port = 80;
  std::string_view host = url;
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    auto p = url.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port <= 0 || port > 65535) {
      return Status::Error(Code::kInvalidArgument, "bad port in '" + std::string(url) + "'",
                           {{"target", "bad port"}});
    }
  }
  if (host.empty()) {
    return Status::Error(Code::kInvalidArgument, "empty host", {{"target", "empty host"}});
  }
  return std::make_pair(std::string(host), port);
}

HttpClient::HttpClient(std::string host, int port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

Status HttpClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Unavailable("resolve " + host_ + ": " + gai_strerror(rc));
  }
  std::string last_err = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    timeval tv{};
    tv.tv_sec = timeout_.count() / 1000;
    tv.tv_usec = (timeout_.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    last_err = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) return Unavailable("connect " + host_ + ":" + port + ": " + last_err);
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view path,
                                         std::string_view body) {
  std::string req;
  req.reserve(body.size() + 200);
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  req.append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  req.append("User-Agent: astraguard-simulate\r\nAccept: application/json\r\n");
  if (!body.empty() || method == "POST") {
    req.append("Content-Type: application/json\r\nContent-Length: ");
    req.append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);

  const bool reused = fd_ >= 0;
  if (!reused) {
    if (Status s = Connect(); !s.ok()) return s;
  }
  auto r = RoundTrip(req);
  if (!r.ok() && reused) {  // stale keep-alive connection: one retry on a fresh one
    if (Status s = Connect(); !s.ok()) return s;
    r = RoundTrip(req);
  }
  if (!r.ok()) Close();
  return r;
}

Result<HttpResponse> HttpClient::RoundTrip(const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return Unavailable(std::string("send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  auto fill = [&]() -> bool {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  };
  size_t hdr_end;
  while ((hdr_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return Unavailable("connection closed before response headers");
    if (buf_.size() > (1 << 20)) return Unavailable("response headers too large");
  }
  std::string_view head(buf_.data(), hdr_end);
  HttpResponse resp;
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) return Unavailable("bad status line");
  std::from_chars(head.data() + 9, head.data() + 12, resp.status);
  long content_length = -1;
  bool chunked = false, close_after = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line =
        head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
    pos = next;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (IEquals(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), content_length);
    } else if (IEquals(name, "transfer-encoding") && IEquals(value, "chunked")) {
      chunked = true;
    } else if (IEquals(name, "connection") && IEquals(value, "close")) {
      close_after = true;
    }
  }
  buf_.erase(0, hdr_end + 4);
  if (chunked) {
    while (true) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos)
        if (!fill()) return Unavailable("connection closed in chunk header");
      size_t len = 0;
      std::from_chars(buf_.data(), buf_.data() + eol, len, 16);
      while (buf_.size() < eol + 2 + len + 2)
        if (!fill()) return Unavailable("connection closed in chunk");
      resp.body.append(buf_, eol + 2, len);
      buf_.erase(0, eol + 2 + len + 2);
      if (len == 0) break;  // (trailers are not used by our server)
    }
  } else if (content_length >= 0) {
    while (buf_.size() < static_cast<size_t>(content_length))
      if (!fill()) return Unavailable("connection closed in body");
    resp.body = buf_.substr(0, content_length);
    buf_.erase(0, content_length);
  } else {
    while (fill()) {
    }
    resp.body = std::move(buf_);
    buf_.clear();
    close_after = true;
  }
  if (close_after) Close();
  return resp;
}

}  // namespace astraguard::sim
