#include "astraguard/http/client.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace astraguard::http {
namespace {

constexpr size_t kMaxHeaderBytes = 1 << 20;

Status Unavailable(std::string msg) { return Status::Error(Code::kUnavailable, std::move(msg)); }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view url) {
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
  return std::make_pair(std::string(host), static_cast<uint16_t>(port));
}

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res); rc != 0) {
    return Unavailable(fmt::format("resolve {}: {}", host_, gai_strerror(rc)));
  }
  Status st = Unavailable(fmt::format("connect {}:{} failed: no address", host_, port_));
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // SO_SNDTIMEO also bounds connect() on Linux.
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
    st = Unavailable(fmt::format("connect {}:{}: {}", host_, port_, std::strerror(errno)));
    ::close(fd);
  }
  freeaddrinfo(res);
  return st;
}

bool HttpClient::Fill(size_t* received) {
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  *received += static_cast<size_t>(n);
  return true;
}

Result<ClientResponse> HttpClient::ReadResponse(std::string_view method, size_t* received) {
  for (;;) {  // loops past interim 100 Continue responses
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return Unavailable("response headers too large");
      if (!Fill(received)) return Unavailable("connection closed before response headers");
    }
    ClientResponse out;
    std::string_view head(buffer_.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
      return Status::Error(Code::kInternal, "bad status line");
    }
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
    buffer_.erase(0, header_end + 4);
    if (out.status == 100) continue;

    auto header = [&](const char* name) -> const std::string* {
      auto it = out.headers.find(name);
      return it == out.headers.end() ? nullptr : &it->second;
    };
    const std::string* connection = header("connection");
    bool close_after = connection != nullptr && IEquals(*connection, "close");
    const std::string* te = header("transfer-encoding");
    const std::string* cl = header("content-length");
    if (method == "HEAD" || out.status == 204 || out.status == 304) {
      // No body by definition, whatever the framing headers say.
    } else if (te != nullptr && IEquals(*te, "chunked")) {
      for (;;) {
        size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (!Fill(received)) return Unavailable("connection closed in chunk header");
        }
        size_t len = 0;
        auto [end, ec] = std::from_chars(buffer_.data(), buffer_.data() + eol, len, 16);
        if (ec != std::errc() || (end != buffer_.data() + eol && *end != ';')) {
          return Status::Error(Code::kInternal, "bad chunk size");
        }
        buffer_.erase(0, eol + 2);
        if (len == 0) {  // last chunk: skip trailer fields up to the empty line
          size_t e;
          for (;;) {
            while ((e = buffer_.find("\r\n")) == std::string::npos) {
              if (!Fill(received)) return Unavailable("connection closed in chunk trailer");
            }
            buffer_.erase(0, e + 2);
            if (e == 0) break;
          }
          break;
        }
        while (buffer_.size() < len + 2) {
          if (!Fill(received)) return Unavailable("connection closed in chunk");
        }
        out.body.append(buffer_, 0, len);
        buffer_.erase(0, len + 2);
      }
    } else if (cl != nullptr) {
      const size_t length = std::strtoull(cl->c_str(), nullptr, 10);
      while (buffer_.size() < length) {
        if (!Fill(received)) return Unavailable("connection closed in body");
      }
      out.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else {  // neither: the body runs until the server closes the connection
      for (;;) {
        errno = 0;
        if (!Fill(received)) break;
      }
      if (errno != 0) return Unavailable(fmt::format("reading body: {}", std::strerror(errno)));
      out.body = std::move(buffer_);
      buffer_.clear();
      close_after = true;
    }
    if (close_after) Close();
    return out;
  }
}

Result<ClientResponse> HttpClient::Send(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\n", method, target, host_, port_);
  if (!body.empty() || method == "POST") {
    req += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", content_type, body.size());
  }
  for (const auto& [k, v] : headers) req += fmt::format("{}: {}\r\n", k, v);
  req += "\r\n";
  req += body;

  Status failure = Status::Ok();
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
    size_t received = 0;
    if (sent == req.size()) {
      auto r = ReadResponse(method, &received);
      if (r.ok()) return r;
      failure = r.status();
    } else {
      failure = Unavailable(fmt::format("send: {}", std::strerror(errno)));
    }
    Close();
    // A reused keep-alive connection may have been closed by the server while idle: retry once.
    if (!(reused && received == 0)) break;
  }
  return Status::Error(failure.code(), fmt::format("{} {} to {}:{}: {}", method, target, host_,
                                                   port_, failure.message()));
}

}  // namespace astraguard::http
