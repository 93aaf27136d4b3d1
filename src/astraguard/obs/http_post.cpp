#include "astraguard/obs/http_post.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace astraguard::obs {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlice{50};

Status Unavailable(std::string msg) { return Status::Error(Code::kUnavailable, std::move(msg)); }

// Waits for `events` on fd; ok when ready, error on timeout/cancel/poll failure.
Status WaitFor(int fd, short events, SteadyClock::time_point deadline,
               const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel != nullptr && cancel->load()) return Unavailable("cancelled");
    auto now = SteadyClock::now();
    if (now >= deadline) return Unavailable("timeout");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    int ms = static_cast<int>(std::max<std::int64_t>(1, std::min(left, kSlice).count()));
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return Status::Ok();
    if (r < 0 && errno != EINTR) return Unavailable(std::string("poll: ") + std::strerror(errno));
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !IEquals(url.substr(0, kScheme.size()), kScheme)) {
    return Status::Error(Code::kInvalidArgument,
                         "only http:// endpoints are supported, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return Status::Error(Code::kInvalidArgument, "bad host in URL '" + std::string(url) + "'");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::Error(Code::kInvalidArgument,
                           "bad IPv6 literal in '" + std::string(url) + "'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return Status::Error(Code::kInvalidArgument, "bad URL '" + std::string(url) + "'");
      port = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return Status::Error(Code::kInvalidArgument, "empty host in '" + std::string(url) + "'");
  if (!port.empty()) {
    unsigned p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return Status::Error(Code::kInvalidArgument, "bad port in URL '" + std::string(url) + "'");
    out.port = static_cast<std::uint16_t>(p);
  }
  out.host = std::string(host);
  out.host_header = authority.front() == '[' ? "[" + out.host + "]" : out.host;
  out.host_header += ":" + std::to_string(out.port);
  return out;
}

void HttpPostClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status HttpPostClient::Connect(SteadyClock::time_point deadline, const std::atomic<bool>* cancel) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url_.port);
  if (int rc = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Unavailable("resolve " + url_.host + ": " + ::gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    if (errno != EINPROGRESS) {
      last_error = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      continue;
    }
    Status w = WaitFor(fd, POLLOUT, deadline, cancel);
    int err = 0;
    socklen_t len = sizeof err;
    if (w.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      fd_ = fd;
      break;
    }
    last_error = w.ok() ? std::string("connect: ") + std::strerror(err) : "connect: " + w.message();
    ::close(fd);
    if (!w.ok()) break;
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) return Unavailable(last_error);
  ++connections_opened_;
  return Status::Ok();
}

namespace {

// True when an idle kept-alive connection was closed by the server (EOF, reset, or bytes we
// never asked for): it must not carry the next request.
bool IdleConnectionBroken(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // readable or error while idle, or poll failed
}

struct Exchange {
  Result<HttpResponse> response = Status::Error(Code::kUnavailable, "not sent");
  bool dropped = false;     // the server closed or reset it before any response byte
  bool keep_alive = false;  // the connection may carry another request
};

// The request's pieces (head and body parts), sent with sendmsg from where they are.
struct Pieces {
  std::array<std::string_view, 4> part{};
  std::size_t count = 0;
  std::size_t total = 0;
};

Exchange SendAndReceive(int fd, const Pieces& request, SteadyClock::time_point deadline,
                        const std::atomic<bool>* cancel) {
  Exchange x;
  std::size_t sent = 0;
  while (sent < request.total) {
    iovec iov[4];
    int n_iov = 0;
    std::size_t skip = sent;
    for (std::size_t i = 0; i < request.count; ++i) {
      std::string_view p = request.part[i];
      if (skip >= p.size()) {
        skip -= p.size();
        continue;
      }
      p.remove_prefix(skip);
      skip = 0;
      iov[n_iov++] = {const_cast<char*>(p.data()), p.size()};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(n_iov);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Status w = WaitFor(fd, POLLOUT, deadline, cancel); !w.ok()) {
        x.response = Unavailable("send: " + w.message());
        return x;
      }
      continue;
    }
    x.dropped = errno == EPIPE || errno == ECONNRESET;
    x.response = Unavailable(std::string("send: ") + std::strerror(errno));
    return x;
  }

  // Read until the headers plus Content-Length bytes (or the chunked terminator, or EOF).
  std::string in;
  std::size_t header_end = std::string::npos;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool close_requested = false;
  bool eof = false;
  HttpResponse resp;
  char buf[4096];
  for (;;) {
    if (header_end != std::string::npos) {
      const std::size_t have = in.size() - header_end;
      if (content_length && have >= *content_length) break;
      if (chunked && in.size() >= 5 && in.compare(in.size() - 5, 5, "0\r\n\r\n") == 0) break;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        std::size_t pos = in.find("\r\n\r\n");
        if (pos != std::string::npos) {
          header_end = pos + 4;
          std::string_view head(in.data(), pos);
          // Status line: HTTP/1.x NNN reason
          if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
            x.response = Status::Error(Code::kInternal, "malformed HTTP response");
            return x;
          }
          std::size_t sp = head.find(' ');
          int code = 0;
          auto r = std::from_chars(head.data() + sp + 1,
                                   head.data() + std::min(head.size(), sp + 4), code);
          if (r.ec != std::errc()) {
            x.response = Status::Error(Code::kInternal, "malformed status line");
            return x;
          }
          resp.status = code;
          close_requested = head.substr(0, 8) == "HTTP/1.0";
          std::size_t line_start = head.find("\r\n");
          while (line_start != std::string_view::npos && line_start < head.size()) {
            line_start += 2;
            std::size_t line_end = head.find("\r\n", line_start);
            std::string_view line =
                head.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                           : line_end - line_start);
            std::size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
              std::string_view name = Trim(line.substr(0, colon));
              std::string_view value = Trim(line.substr(colon + 1));
              if (IEquals(name, "content-length")) {
                std::size_t cl = 0;
                if (std::from_chars(value.data(), value.data() + value.size(), cl).ec ==
                    std::errc())
                  content_length = cl;
              } else if (IEquals(name, "transfer-encoding")) {
                chunked = value.find("chunked") != std::string_view::npos;
              } else if (IEquals(name, "connection")) {
                close_requested = IEquals(value, "close");
              } else if (IEquals(name, "retry-after")) {
                long secs = 0;
                auto rr = std::from_chars(value.data(), value.data() + value.size(), secs);
                if (rr.ec == std::errc() && rr.ptr == value.data() + value.size() && secs >= 0)
                  resp.retry_after = std::chrono::seconds(secs);
              }
            }
            line_start = line_end;
          }
          if (resp.status == 204 || resp.status == 304) content_length = 0;
        }
      }
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (Status w = WaitFor(fd, POLLIN, deadline, cancel); !w.ok()) {
        x.response = Unavailable("recv: " + w.message());
        return x;
      }
      continue;
    }
    x.dropped = in.empty() && errno == ECONNRESET;
    x.response = Unavailable(std::string("recv: ") + std::strerror(errno));
    return x;
  }
  if (header_end == std::string::npos) {
    x.dropped = in.empty();
    x.response = Unavailable("connection closed before response");
    return x;
  }
  x.keep_alive = !eof && !close_requested && (content_length.has_value() || chunked);
  resp.body = in.substr(header_end);
  x.response = std::move(resp);
  return x;
}

}  // namespace

Result<HttpResponse> HttpPostClient::Post(std::string_view content_type,
                                          const HttpHeaders& headers,
                                          std::initializer_list<std::string_view> body,
                                          SteadyClock::time_point deadline,
                                          const std::atomic<bool>* cancel) {
  Pieces pieces;
  if (body.size() > pieces.part.size() - 1)
    return Status::Error(Code::kInvalidArgument, "at most 3 body parts");
  std::size_t body_size = 0;
  for (std::string_view p : body) body_size += p.size();
  std::string req;  // the head; the body parts are sent from the caller's buffers
  req.reserve(256);
  req += "POST ";
  req += url_.path;
  req += " HTTP/1.1\r\nHost: ";
  req += url_.host_header;
  req += "\r\nContent-Type: ";
  req += content_type;
  req += "\r\nContent-Length: ";
  req += std::to_string(body_size);
  req += "\r\nUser-Agent: astraguard-otlp/1\r\n";
  for (const auto& [k, v] : headers) {
    req += k;
    req += ": ";
    req += v;
    req += "\r\n";
  }
  req += "\r\n";
  pieces.part[pieces.count++] = req;
  for (std::string_view p : body) pieces.part[pieces.count++] = p;
  pieces.total = req.size() + body_size;

  if (fd_ >= 0 && IdleConnectionBroken(fd_)) Close();
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (Status c = Connect(deadline, cancel); !c.ok()) return c;
    }
    Exchange x = SendAndReceive(fd_, pieces, deadline, cancel);
    if (!x.keep_alive) Close();
    // A kept-alive connection the server dropped just as we sent: once more on a new one.
    if (!x.response.ok() && x.dropped && reused && attempt == 0) continue;
    return std::move(x.response);
  }
}


}  // namespace astraguard::obs
