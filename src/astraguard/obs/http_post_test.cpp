#include "astraguard/obs/http_post.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

namespace astraguard::obs {
namespace {

using namespace std::chrono_literals;

// What the test server does with the n-th request it reads (0-based, over all connections).
struct Reply {
  std::string raw;            // bytes written back; empty = answer nothing
  bool close_after = false;   // close the connection after `raw`
};

// A loopback server reading one request at a time (headers + Content-Length body) and
// answering from a script; counts accepted connections.
class ScriptServer {
 public:
  explicit ScriptServer(std::function<Reply(int)> script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  HttpUrl url() const {
    return HttpUrl{"127.0.0.1", port_, "/v1/traces", "127.0.0.1:" + std::to_string(port_)};
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }

 private:
  void Run() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      Serve(fd);
      ::close(fd);
    }
  }
  void Serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      std::size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      const std::size_t cl_at = in.find("Content-Length: ");
      const std::size_t cl = cl_at < end ? std::stoul(in.substr(cl_at + 16)) : 0;
      while (in.size() < end + 4 + cl) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        bodies_.push_back(in.substr(end + 4, cl));
      }
      in.erase(0, end + 4 + cl);
      const Reply r = script_(requests_++);
      if (!r.raw.empty()) (void)::send(fd, r.raw.data(), r.raw.size(), MSG_NOSIGNAL);
      if (r.close_after || r.raw.empty()) return;
    }
  }

  std::function<Reply(int)> script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  int requests_ = 0;  // server thread only
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Result<HttpResponse> PostOnce(HttpPostClient& c, std::string_view body) {
  return c.Post("application/x-protobuf", {{"x-api-key", "k"}}, {body},
                std::chrono::steady_clock::now() + 5s);
}

TEST(HttpPostClientTest, KeepsTheConnectionAlive) {
  ScriptServer server([](int) { return Reply{kOk}; });
  HttpPostClient client(server.url());
  for (int i = 0; i < 3; ++i) {
    auto r = PostOnce(client, "body" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"body0", "body1", "body2"}));
}

TEST(HttpPostClientTest, LargeBodyArrivesWhole) {
  // Larger than the socket buffers: sent in several partial writes across the parts.
  ScriptServer server([](int) { return Reply{kOk}; });
  HttpPostClient client(server.url());
  std::string body(3 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + i / 1000);
  // Three parts, sent from where they are, arrive as one body.
  auto r = client.Post("application/x-protobuf", {}, {"head|", body, "|tail"},
                       std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_TRUE(server.bodies()[0] == "head|" + body + "|tail");
  auto too_many = client.Post("text/plain", {}, {"a", "b", "c", "d"},
                              std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(too_many.status().code(), Code::kInvalidArgument);
}

TEST(HttpPostClientTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  ScriptServer server([](int) { return Reply{kOk, /*close_after=*/true}; });
  HttpPostClient client(server.url());
  ASSERT_TRUE(PostOnce(client, "a").ok());
  std::this_thread::sleep_for(50ms);  // the close reaches the client while idle
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"a", "b"}));  // each sent once
}

TEST(HttpPostClientTest, HonoursConnectionCloseAndEofDelimitedBodies) {
  ScriptServer server([](int i) {
    if (i == 0) return Reply{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"};
    return Reply{"HTTP/1.1 503 Busy\r\nRetry-After: 3\r\n\r\nuntil eof", /*close_after=*/true};
  });
  HttpPostClient client(server.url());
  ASSERT_TRUE(PostOnce(client, "a").ok());
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "until eof");
  ASSERT_TRUE(r->retry_after.has_value());
  EXPECT_EQ(*r->retry_after, 3s);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpPostClientTest, ResendsOnceWhenAReusedConnectionDropsTheRequest) {
  // Request 1 arrives on the kept-alive connection and is dropped unanswered (the race of a
  // server closing an idle connection): it is sent again on a new connection.
  ScriptServer server([](int i) { return i == 1 ? Reply{} : Reply{kOk}; });
  HttpPostClient client(server.url());
  ASSERT_TRUE(PostOnce(client, "a").ok());
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"a", "b", "b"}));
}

TEST(HttpPostClientTest, ADroppedRequestOnAFreshConnectionIsAnError) {
  ScriptServer server([](int) { return Reply{}; });
  HttpPostClient client(server.url());
  auto r = PostOnce(client, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(server.bodies().size(), 1u);  // not resent
}

TEST(HttpPostClientTest, RefusedConnectionIsUnavailable) {
  std::uint16_t port = 0;
  {  // a port that was free a moment ago and has no listener now
    ScriptServer gone([](int) { return Reply{}; });
    port = gone.url().port;
  }
  HttpPostClient client(HttpUrl{"127.0.0.1", port, "/", "127.0.0.1:" + std::to_string(port)});
  auto r = PostOnce(client, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("connect"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace astraguard::obs
