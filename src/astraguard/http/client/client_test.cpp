#include "astraguard/http/client/client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "astraguard/http/client/testing/scripted_server.hpp"

namespace astraguard::http {
namespace {

using testing::Reply;
using testing::ScriptedServer;
using namespace std::chrono_literals;

// What ScriptServer does with the n-th request it reads (0-based, over all connections).
struct Action {
  std::string raw;           // bytes written back; empty = answer nothing and close
  bool close_after = false;  // close the connection after `raw`
};

// A loopback server reading one request at a time (headers + Content-Length body), answering
// from a function of the request's number, and recording bodies and connections. Unlike
// ScriptedServer it can drop a request unanswered, or close right after answering.
class ScriptServer {
 public:
  explicit ScriptServer(std::function<Action(int)> script) : script_(std::move(script)) {
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
  uint16_t port() const { return port_; }
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
      size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      const size_t cl_at = in.find("Content-Length: ");
      const size_t cl = cl_at < end ? std::stoul(in.substr(cl_at + 16)) : 0;
      while (in.size() < end + 4 + cl) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        bodies_.push_back(in.substr(end + 4, cl));
      }
      in.erase(0, end + 4 + cl);
      const Action r = script_(requests_++);
      if (!r.raw.empty()) (void)::send(fd, r.raw.data(), r.raw.size(), MSG_NOSIGNAL);
      if (r.close_after || r.raw.empty()) return;
    }
  }

  std::function<Action(int)> script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  int requests_ = 0;  // server thread only
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Result<ClientResponse> PostOnce(HttpClient& c, const std::string& body) {
  return c.Send("POST", "/v1/traces", body, "application/x-protobuf", {{"x-api-key", "k"}});
}

TEST(HttpClientTest, ContentLengthAndChunkedOnOneKeepAliveConnection) {
  ScriptedServer srv({Reply(200, "{\"a\":1}"),
                      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                      Reply(202, "after")},
                     10);
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  auto r1 = c.Send("POST", "/api/v1/telemetry", "{\"x\":1}");
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->body, "{\"a\":1}");
  auto r2 = c.Send("GET", "/x");
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2->status, 201);
  EXPECT_EQ(r2->body, "abcde");
  // The chunked reply was consumed exactly: the next reply on the same connection parses.
  auto r3 = c.Send("GET", "/y");
  ASSERT_TRUE(r3.ok()) << r3.status().message();
  EXPECT_EQ(r3->status, 202);
  EXPECT_EQ(r3->body, "after");
  EXPECT_EQ(srv.connections.load(), 1);
}

TEST(HttpClientTest, ChunkedWithExtensionsAndTrailers) {
  ScriptedServer srv({"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
                      "a;ext=1\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
                      Reply(200, "next")},
                     10);
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  auto r1 = c.Send("GET", "/a");
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1->body, "0123456789");
  auto r2 = c.Send("GET", "/b");
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2->body, "next");
}

TEST(HttpClientTest, BodyWithoutLengthRunsToConnectionClose) {
  ScriptedServer srv({"HTTP/1.1 200 OK\r\n\r\nuntil-close"}, 1);
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  auto r = c.Send("GET", "/");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "until-close");
}

TEST(HttpClientTest, SendsContentTypeLengthAndExtraHeaders) {
  ScriptedServer srv({Reply(200, "")}, 10);
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  auto r = c.Send("POST", "/p", "abc", "text/plain", {{"User-Agent", "t"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "");
  ASSERT_EQ(srv.requests.size(), 1u);
  const std::string& req = srv.requests[0];
  EXPECT_EQ(req.rfind("POST /p HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(req.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(req.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_NE(req.find("User-Agent: t\r\n"), std::string::npos);
  EXPECT_TRUE(req.ends_with("\r\n\r\nabc"));
}

TEST(HttpClientTest, ReconnectsWhenServerClosedIdleConnection) {
  ScriptedServer srv({Reply(200, "ok")}, 1);  // closes after each reply
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  for (int i = 0; i < 3; ++i) {
    auto r = c.Send("POST", "/p", "{}");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->body, "ok");
  }
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    ScriptedServer srv({Reply(200, "")}, 1);
    port = static_cast<uint16_t>(srv.port());
  }
  HttpClient c("127.0.0.1", port, std::chrono::milliseconds(500));
  auto r = c.Send("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST(HttpClientTest, ParseUrl) {
  auto u = ParseUrl("http://127.0.0.1:8080/v1/traces?x=1");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/v1/traces?x=1");
  auto bare = ParseUrl("example.org");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->path, "/");
  auto v6 = ParseUrl("HTTP://[::1]:4318/v1/traces");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 4318);
  for (const char* bad : {"host:99999", "http://:80", "http://h:0", "http://h:80x", "http://u@h/",
                          "http://[::1/", "ftp://h/"}) {
    auto r = ParseUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  auto tls = ParseUrl("https://collector:4318/v1/traces");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("https is not supported"), std::string::npos)
      << tls.status().message();
}

TEST(HttpClientTest, KeepsTheConnectionAliveAcrossPosts) {
  ScriptServer server([](int) { return Action{kOk}; });
  HttpClient client("127.0.0.1", server.port(), 5s);
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

TEST(HttpClientTest, BodyPartsLargerThanTheSocketBuffersArriveWhole) {
  // Sent from where they are with gathered writes, resumed across partial writes.
  ScriptServer server([](int) { return Action{kOk}; });
  HttpClient client("127.0.0.1", server.port(), 5s);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 1000);
  const std::string_view parts[] = {"head|", big, "|tail"};
  auto r = client.Send({.method = "POST", .target = "/v1/traces", .body = parts});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_TRUE(server.bodies()[0] == "head|" + big + "|tail");
  const std::string_view too_many[HttpClient::kMaxBodyParts + 1] = {};
  auto refused = client.Send({.method = "POST", .target = "/", .body = too_many});
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
}

TEST(HttpClientTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  ScriptServer server([](int) { return Action{kOk, /*close_after=*/true}; });
  HttpClient client("127.0.0.1", server.port(), 5s);
  ASSERT_TRUE(PostOnce(client, "a").ok());
  std::this_thread::sleep_for(50ms);  // the close reaches the client while idle
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"a", "b"}));  // each sent once
}

TEST(HttpClientTest, HonoursConnectionCloseEofBodiesAndRetryAfter) {
  ScriptServer server([](int i) {
    if (i == 0) return Action{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"};
    return Action{"HTTP/1.1 503 Busy\r\nRETRY-AFTER: 3\r\n\r\nuntil eof", /*close_after=*/true};
  });
  HttpClient client("127.0.0.1", server.port(), 5s);
  ASSERT_TRUE(PostOnce(client, "a").ok());
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "until eof");
  ASSERT_TRUE(r->RetryAfter().has_value());
  EXPECT_EQ(*r->RetryAfter(), 3s);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpClientTest, ResendsOnceWhenAReusedConnectionDropsTheRequest) {
  // Request 1 arrives on the kept-alive connection and is dropped unanswered (the race of a
  // server closing an idle connection): it is sent again on a new connection.
  ScriptServer server([](int i) { return i == 1 ? Action{} : Action{kOk}; });
  HttpClient client("127.0.0.1", server.port(), 5s);
  ASSERT_TRUE(PostOnce(client, "a").ok());
  auto r = PostOnce(client, "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"a", "b", "b"}));
}

TEST(HttpClientTest, ADroppedRequestOnAFreshConnectionIsNotResent) {
  ScriptServer server([](int) { return Action{}; });
  HttpClient client("127.0.0.1", server.port(), 5s);
  auto r = PostOnce(client, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(server.bodies().size(), 1u);
}

TEST(HttpClientTest, ASilentServerTimesOutAtTheDeadlineAndIsNotResent) {
  ScriptedServer srv({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart"}, 10);  // 4 of 10
  HttpClient c("127.0.0.1", static_cast<uint16_t>(srv.port()), 300ms);
  const auto start = std::chrono::steady_clock::now();
  auto r = c.Send("GET", "/");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("timeout"), std::string::npos) << r.status().message();
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
  c.Close();
  EXPECT_EQ(srv.connections.load(), 1);
}

TEST(HttpClientTest, CancelAbandonsARequestInFlight) {
  ScriptedServer srv({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart"}, 10);  // 4 of 10
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  HttpClient client("127.0.0.1", static_cast<uint16_t>(srv.port()), 30s);
  const std::string_view body[] = {"x"};
  const auto start = std::chrono::steady_clock::now();
  auto r = client.Send({.method = "POST", .target = "/", .body = body, .cancel = &cancel});
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cancelled"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  client.Close();
}

TEST(HttpClientTest, ConnectionRefusedNamesConnect) {
  uint16_t port;
  {
    ScriptServer gone([](int) { return Action{}; });
    port = gone.port();
  }
  HttpClient c("127.0.0.1", port, 500ms);
  auto r = c.Send("POST", "/v1/traces", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("connect"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace astraguard::http
