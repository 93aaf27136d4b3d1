#include "astraguard/http/client/client.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace astraguard::http {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr std::chrono::milliseconds kCancelPoll{50};

Status Unavailable(std::string msg) { return Status::Error(Code::kUnavailable, std::move(msg)); }
Status BadUrl(std::string_view url, std::string_view why) {
  return Status::Error(Code::kInvalidArgument, fmt::format("{} in URL '{}'", why, url),
                       {{"url", std::string(why)}});
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Waits until `fd` is ready for `events`: ok, or kUnavailable on timeout, cancel or poll error.
Status WaitFor(int fd, short events, SteadyClock::time_point deadline,
               const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel != nullptr && cancel->load()) return Unavailable("cancelled");
    const auto now = SteadyClock::now();
    if (now >= deadline) return Unavailable("timeout");
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    if (cancel != nullptr) wait = std::min(wait, kCancelPoll);
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (r > 0) return Status::Ok();
    if (r < 0 && errno != EINTR) return Unavailable(fmt::format("poll: {}", std::strerror(errno)));
  }
}

// True when an idle kept-alive connection was closed by the server (EOF, reset, or bytes we
// never asked for): it must not carry the next request.
bool IdleConnectionBroken(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace

Result<Url> ParseUrl(std::string_view url) {
  std::string_view rest = url;
  if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    const std::string_view s = rest.substr(0, scheme);
    if (IEquals(s, "https")) {
      return BadUrl(url, "https is not supported (no TLS): use http://");
    }
    if (!IEquals(s, "http")) return BadUrl(url, fmt::format("scheme '{}' is not supported", s));
    rest.remove_prefix(scheme + 3);
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  Url out;
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return BadUrl(url, "user info");
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "bad IPv6 literal");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "bad authority");
      port = after.substr(1);
      has_port = true;
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return BadUrl(url, "empty host");
  if (has_port) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
      return BadUrl(url, "bad port");
    }
    out.port = static_cast<uint16_t>(p);
  }
  out.host = std::string(host);
  return out;
}

std::optional<std::chrono::seconds> ClientResponse::RetryAfter() const {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  const std::string_view v = TrimOws(it->second);
  long secs = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec != std::errc() || end != v.data() + v.size() || secs < 0) return std::nullopt;
  return std::chrono::seconds(secs);
}

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)),
      port_(port),
      host_header_(host_.find(':') != std::string::npos ? fmt::format("[{}]:{}", host_, port)
                                                         : fmt::format("{}:{}", host_, port)),
      timeout_(timeout) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::Connect(Deadline deadline, const std::atomic<bool>* cancel) {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res); rc != 0) {
    return Unavailable(fmt::format("resolve {}: {}", host_, gai_strerror(rc)));
  }
  Status st = Unavailable(fmt::format("connect {}:{}: no address", host_, port_));
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    if (errno != EINPROGRESS) {
      st = Unavailable(fmt::format("connect {}:{}: {}", host_, port_, std::strerror(errno)));
      ::close(fd);
      continue;
    }
    const Status w = WaitFor(fd, POLLOUT, deadline, cancel);
    int err = 0;
    socklen_t len = sizeof err;
    if (w.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      fd_ = fd;
      break;
    }
    st = Unavailable(fmt::format("connect {}:{}: {}", host_, port_,
                                 w.ok() ? std::strerror(err) : w.message()));
    ::close(fd);
    if (!w.ok()) break;  // out of time (or cancelled): no point trying the next address
  }
  freeaddrinfo(res);
  if (fd_ < 0) return st;
  ++connections_opened_;
  return Status::Ok();
}

Result<bool> HttpClient::Fill(Deadline deadline, const std::atomic<bool>* cancel,
                              size_t* received) {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      *received += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      peer_closed_ = true;
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (Status w = WaitFor(fd_, POLLIN, deadline, cancel); !w.ok()) return w;
      continue;
    }
    if (errno == ECONNRESET) {  // as good as closed: nothing more will arrive
      peer_closed_ = true;
      return false;
    }
    return Unavailable(fmt::format("recv: {}", std::strerror(errno)));
  }
}

Result<ClientResponse> HttpClient::ReadResponse(std::string_view method, Deadline deadline,
                                                const std::atomic<bool>* cancel,
                                                size_t* received) {
  // Reads more into buffer_; an error (EOF included) named after `where`.
  auto more = [&](const char* where) -> Status {
    auto got = Fill(deadline, cancel, received);
    if (!got.ok()) return got.status();
    if (!*got) return Unavailable(fmt::format("connection closed {}", where));
    return Status::Ok();
  };
  for (;;) {  // loops past interim 100 Continue responses
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return Unavailable("response headers too large");
      if (Status s = more("before response headers"); !s.ok()) return s;
    }
    ClientResponse out;
    std::string_view head(buffer_.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    int code = 0;
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, code).ec != std::errc()) {
      return Status::Error(Code::kInternal, "bad status line");
    }
    out.status = code;
    bool close_after = status_line.starts_with("HTTP/1.0");
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string_view::npos) e = head.size();
      std::string_view line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name(TrimOws(line.substr(0, colon)));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.headers[name] = std::string(TrimOws(line.substr(colon + 1)));
      }
      pos = e + 2;
    }
    buffer_.erase(0, header_end + 4);
    if (out.status == 100) continue;

    auto header = [&](const char* name) -> const std::string* {
      auto it = out.headers.find(name);
      return it == out.headers.end() ? nullptr : &it->second;
    };
    if (const std::string* connection = header("connection")) {
      if (IEquals(*connection, "close")) close_after = true;
      if (IEquals(*connection, "keep-alive")) close_after = false;
    }
    const std::string* te = header("transfer-encoding");
    const std::string* cl = header("content-length");
    if (method == "HEAD" || out.status == 204 || out.status == 304) {
      // No body by definition, whatever the framing headers say.
    } else if (te != nullptr && IEquals(*te, "chunked")) {
      for (;;) {
        size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (Status s = more("in chunk header"); !s.ok()) return s;
        }
        size_t len = 0;
        auto [end, ec] = std::from_chars(buffer_.data(), buffer_.data() + eol, len, 16);
        if (ec != std::errc() || (end != buffer_.data() + eol && *end != ';')) {
          return Status::Error(Code::kInternal, "bad chunk size");
        }
        buffer_.erase(0, eol + 2);
        if (len == 0) {  // last chunk: skip trailer fields up to the empty line
          for (;;) {
            size_t e;
            while ((e = buffer_.find("\r\n")) == std::string::npos) {
              if (Status s = more("in chunk trailer"); !s.ok()) return s;
            }
            buffer_.erase(0, e + 2);
            if (e == 0) break;
          }
          break;
        }
        while (buffer_.size() < len + 2) {
          if (Status s = more("in chunk"); !s.ok()) return s;
        }
        out.body.append(buffer_, 0, len);
        buffer_.erase(0, len + 2);
      }
    } else if (cl != nullptr) {
      size_t length = 0;
      const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
      if (ec != std::errc() || end != cl->data() + cl->size()) {
        return Status::Error(Code::kInternal, "bad Content-Length");
      }
      while (buffer_.size() < length) {
        if (Status s = more("in body"); !s.ok()) return s;
      }
      out.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else {  // neither: the body runs until the server closes the connection
      for (;;) {
        auto got = Fill(deadline, cancel, received);
        if (!got.ok()) return got.status();
        if (!*got) break;
      }
      out.body = std::move(buffer_);
      buffer_.clear();
      close_after = true;
    }
    if (close_after) Close();
    return out;
  }
}

Result<ClientResponse> HttpClient::Send(std::string_view method, std::string_view target,
                                        std::string_view body, std::string_view content_type,
                                        const Headers& headers) {
  const std::string_view parts[] = {body};
  return Send(ClientRequest{.method = method,
                            .target = target,
                            .body = body.empty() ? std::span<const std::string_view>()
                                                 : std::span<const std::string_view>(parts),
                            .content_type = content_type,
                            .headers = &headers});
}

Result<ClientResponse> HttpClient::Send(const ClientRequest& r) {
  if (r.body.size() > kMaxBodyParts) {
    return Status::Error(Code::kInvalidArgument,
                         fmt::format("at most {} body parts", kMaxBodyParts));
  }
  const Deadline deadline =
      r.deadline != Deadline{} ? r.deadline : SteadyClock::now() + timeout_;
  size_t body_size = 0;
  for (std::string_view p : r.body) body_size += p.size();
  // The head is formatted here; the body parts go out from the caller's buffers.
  std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", r.method, r.target,
                                 host_header_);
  if (body_size > 0 || r.method == "POST") {
    fmt::format_to(std::back_inserter(head), "Content-Type: {}\r\nContent-Length: {}\r\n",
                   r.content_type, body_size);
  }
  if (r.headers != nullptr) {
    for (const auto& [k, v] : *r.headers) fmt::format_to(std::back_inserter(head), "{}: {}\r\n", k, v);
  }
  head += "\r\n";
  std::array<std::string_view, kMaxBodyParts + 1> pieces;
  size_t count = 0;
  pieces[count++] = head;
  for (std::string_view p : r.body) pieces[count++] = p;
  const size_t total = head.size() + body_size;

  if (fd_ >= 0 && IdleConnectionBroken(fd_)) Close();
  Status failure = Status::Ok();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (Status st = Connect(deadline, r.cancel); !st.ok()) {
        failure = st;
        break;
      }
    }
    // Gathered write of head + parts, resumed where a partial write stopped.
    bool dropped = false;  // the server closed or reset the connection before answering
    size_t sent = 0;
    while (sent < total) {
      iovec iov[kMaxBodyParts + 1];
      int n_iov = 0;
      size_t skip = sent;
      for (size_t i = 0; i < count; ++i) {
        std::string_view p = pieces[i];
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
      msg.msg_iovlen = static_cast<size_t>(n_iov);
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (Status w = WaitFor(fd_, POLLOUT, deadline, r.cancel); !w.ok()) {
          failure = Unavailable(fmt::format("send: {}", w.message()));
          break;
        }
        continue;
      }
      dropped = errno == EPIPE || errno == ECONNRESET;
      failure = Unavailable(fmt::format("send: {}", std::strerror(errno)));
      break;
    }
    size_t received = 0;
    peer_closed_ = false;
    if (sent == total) {
      auto resp = ReadResponse(r.method, deadline, r.cancel, &received);
      if (resp.ok()) return resp;
      failure = resp.status();
      dropped = received == 0 && peer_closed_;
    }
    Close();
    // A kept-alive connection the server closed just as we sent: once more on a fresh one.
    if (!(reused && dropped)) break;
  }
  return Status::Error(failure.code(), fmt::format("{} {} to {}:{}: {}", r.method, r.target,
                                                   host_, port_, failure.message()));
}

}  // namespace astraguard::http
