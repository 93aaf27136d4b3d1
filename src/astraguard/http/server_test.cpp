// The HTTP server in process, spoken to in raw bytes: framing rules, HEAD, per-listener caps,
// deadlines that no phase of a request escapes, accept back-off and shutdown with open
// connections (run under ASan by `make test-asan`).

#include "astraguard/http/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "astraguard/http/client/testing/raw_socket.hpp"
#include "astraguard/http/problem.hpp"

namespace astraguard::http {
namespace {

using namespace std::chrono_literals;

using testing::Connect;
using testing::ReadUntilClose;
using testing::SendAll;
using testing::StatusOf;

// One request on its own connection; the answer is what arrives before the server closes or
// goes quiet for 2 s (keep-alive answers end that way).
std::string Exchange(uint16_t port, const std::string& request) {
  return testing::RawExchange(port, request, 2s);
}

size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos;
       p = haystack.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

ServerOptions TestConfig() {
  ServerOptions c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.metrics_port = 0;
  c.io_threads = 2;
  c.read_timeout = 300ms;
  return c;
}

// A server whose handler answers GET /hello with "hello", GET /big?n=<bytes> with n bytes,
// POST /echo with the body, and GET /throw by throwing something that is not a std::exception.
class ServerFixture {
 public:
  explicit ServerFixture(ServerOptions config = TestConfig())
      : metrics_({"test", "test"}),
        rejected_(metrics_.ForRoute("other", "invalid_request")),
        server_(std::make_unique<Server>(
            config, [](const Request& req, Response& res) { Handle(req, res); }, metrics_,
            rejected_)) {
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  uint16_t port() const { return server_->api_port(); }
  uint16_t metrics_port() const { return server_->metrics_port(); }
  double active() { return metrics_.active_connections().Value(); }
  // Waits up to `within` for the open-connection gauge to reach `want`.
  bool ActiveBecomes(double want, std::chrono::milliseconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (active() == want) return true;
      std::this_thread::sleep_for(10ms);
    }
    return active() == want;
  }
  Server& server() { return *server_; }
  void Destroy() { server_.reset(); }

 private:
  static void Handle(const Request& req, Response& res) {
    if (req.path() == "/throw") throw 42;
    if (req.path() == "/big") {
      res.body.assign(std::stoul(std::string(req.query().substr(2))), 'x');
      return;
    }
    if (req.method == "POST") {
      res.body = std::string(req.body);
      return;
    }
    if (req.method == "HEAD" || req.method == "GET") {
      if (req.path() != "/hello") {
        WriteProblem(404, "no route", res);
        return;
      }
      res.body = "hello";
      return;
    }
    WriteProblem(405, "not allowed", res);
  }

  obs::Metrics metrics_;
  obs::RouteMetrics& rejected_;
  std::unique_ptr<Server> server_;
};

// ---- framing (RFC 9112) ----

TEST(ServerFramingTest, UnknownTransferCodingIs400AndClosesWithoutReadingASecondRequest) {
  ServerFixture f;
  // With `xchunked` taken as "no body", the body would be served as a second request.
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string reply = Exchange(
      f.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + smuggled);
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  EXPECT_EQ(CountOf(reply, "HTTP/1.1 "), 1u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
}

TEST(ServerFramingTest, ChunkedNotFinalIs400) {
  ServerFixture f;
  std::string reply = Exchange(
      f.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  EXPECT_NE(reply.find("final transfer coding"), std::string::npos) << reply;
}

TEST(ServerFramingTest, OtherCodingBeforeChunkedIs501) {
  ServerFixture f;
  std::string reply =
      Exchange(f.port(),
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
               "0\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 501) << reply;
  reply = Exchange(f.port(),
                   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 501) << reply;
}

TEST(ServerFramingTest, IdentityIsNotATransferCoding) {
  ServerFixture f;
  std::string reply = Exchange(f.port(),
                               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
                               "Content-Length: 2\r\n\r\nab");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
}

TEST(ServerFramingTest, ChunkedTwiceIs400) {
  ServerFixture f;
  std::string reply = Exchange(
      f.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  reply = Exchange(
      f.port(),
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, chunked\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
}

TEST(ServerFramingTest, PlainChunkedAnyCaseIsServed) {
  ServerFixture f;
  std::string reply = Exchange(f.port(),
                               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
                               "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 200) << reply;
  EXPECT_NE(reply.find("\r\n\r\nabc"), std::string::npos) << reply;
}

TEST(ServerFramingTest, TransferEncodingInHttp10Is400) {
  ServerFixture f;
  std::string reply = Exchange(
      f.port(), "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
}

TEST(ServerFramingTest, Http11WithoutHostOrWithTwoHostsIs400) {
  ServerFixture f;
  std::string reply = Exchange(f.port(), "GET /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  EXPECT_NE(reply.find("Host"), std::string::npos) << reply;
  reply = Exchange(f.port(), "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  // HTTP/1.0 has no Host requirement.
  EXPECT_EQ(StatusOf(Exchange(f.port(), "GET /hello HTTP/1.0\r\n\r\n")), 200);
}

// ---- HEAD (RFC 9110 9.3.2) ----

TEST(ServerHeadTest, HeadGetsTheHeadOnlyAndTheConnectionStaysFramed) {
  ServerFixture f;
  // Two HEADs (one a 404 whose GET would carry a problem body) then a GET, pipelined on one
  // connection: if a body leaked into a HEAD answer the next status line would be misplaced.
  std::string reply = Exchange(f.port(),
                               "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                               "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(StatusOf(reply), 200) << reply;
  const size_t second = reply.find("HTTP/1.1 404");
  ASSERT_NE(second, std::string::npos) << reply;
  // The first answer is exactly a head: it ends where the second begins.
  EXPECT_EQ(reply.substr(second - 4, 4), "\r\n\r\n");
  EXPECT_NE(reply.find("Content-Length: 5\r\n"), std::string::npos) << reply;
  const size_t third = reply.find("HTTP/1.1 200", second);
  ASSERT_NE(third, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(third - 4, 4), "\r\n\r\n");
  EXPECT_EQ(reply.substr(reply.size() - 5), "hello");
}

// ---- caps ----

TEST(ServerCapTest, FullApiListenerLeavesTheMetricsListenerAnswering) {
  ServerOptions c = TestConfig();
  c.max_connections = 2;
  c.idle_timeout = 30s;
  ServerFixture f(c);
  std::vector<int> held;
  for (int i = 0; i < 2; ++i) held.push_back(Connect(f.port()));
  ASSERT_TRUE(f.ActiveBecomes(2, 2s));
  std::string refused = Exchange(f.port(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(refused), 503) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  std::string metrics =
      Exchange(f.metrics_port(), "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(StatusOf(metrics), 200) << metrics;
  for (int fd : held) close(fd);
}

TEST(ServerCapTest, SessionsEndedByAThrowGiveTheirSlotBack) {
  ServerOptions c = TestConfig();
  c.max_connections = 1;
  ServerFixture f(c);
  for (int i = 0; i < 3; ++i) {
    std::string reply = Exchange(f.port(), "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(StatusOf(reply), 500) << reply;
    ASSERT_TRUE(f.ActiveBecomes(0, 3s)) << "connection slot not given back";
  }
  EXPECT_EQ(StatusOf(Exchange(f.port(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST(FdLimitTest, LowersTheCapWhenTheHardLimitIsShort) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  FdLimitFit fit = FitConnectionsToFdLimit(100, 16);
  EXPECT_FALSE(fit.lowered);
  EXPECT_EQ(fit.max_connections, 100u);
  if (saved.rlim_max != RLIM_INFINITY) {
    FdLimitFit beyond = FitConnectionsToFdLimit(static_cast<unsigned>(saved.rlim_max), 16);
    EXPECT_TRUE(beyond.lowered);
    EXPECT_EQ(beyond.soft_after, saved.rlim_max);
    EXPECT_EQ(beyond.max_connections, saved.rlim_max - 16 - kReservedFds);
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

// ---- deadlines ----

// A client that asks for 100 Continue and then neither reads nor sends its body must not hold
// a connection past the read timeout plus the 2 s an error answer may take, whichever write or
// read it stalls: the deadline covers the head, the interim response and the body. Pipelined
// GETs before the final request fill the socket buffers by different amounts on each
// connection. (This did not catch the lost deadline of the old server: the kernel coalesces
// small writes into one segment, so the interim response was never the write that blocked.)
TEST(ServerDeadlineTest, ExpectContinueClientsThatStallAreAllClosed) {
  ServerOptions c = TestConfig();
  c.idle_timeout = 60s;
  ServerFixture f(c);
  std::vector<int> fds;
  for (int n = 0; n < 240; ++n) {
    int fd = Connect(f.port(), /*rcvbuf=*/1);
    ASSERT_GE(fd, 0);
    std::string pipeline;
    for (int i = 0; i < 40 + n * 4; ++i) pipeline += "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    pipeline +=
        "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 64\r\n\r\n";
    fcntl(fd, F_SETFL, O_NONBLOCK);
    send(fd, pipeline.data(), pipeline.size(), MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  // Every connection must close long before the 60 s idle timeout; 20 s leaves room for 240
  // pipelines to be served on a loaded 2-core machine (6 s was not always enough there).
  EXPECT_TRUE(f.ActiveBecomes(0, 20s)) << f.active() << " connections outlived the read timeout";
  for (int fd : fds) close(fd);
}

TEST(ServerDeadlineTest, ExpectContinueWithoutBodyGets408) {
  ServerFixture f;
  int fd = Connect(f.port());
  SendAll(fd,
          "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
  std::string reply = ReadUntilClose(fd, 3s);
  close(fd);
  EXPECT_EQ(StatusOf(reply), 100) << reply;
  EXPECT_NE(reply.find("HTTP/1.1 408"), std::string::npos) << reply;
}

// ---- descriptors ----

// When accept() fails for want of descriptors the listener backs off instead of retrying in a
// tight loop, and serves the waiting clients once descriptors are free again.
TEST(ServerAcceptTest, RunningOutOfDescriptorsDoesNotSpin) {
#ifdef ASTRAGUARD_UBSAN
  // UBSan's vptr check reads a vtable only after probing that its memory is readable, and it
  // probes by writing it to a pipe(); with every descriptor taken the pipe fails, and UBSan
  // reports "invalid vptr" on a valid Asio object (seen once in make test-asan, whenever its
  // type cache had not yet seen timer_queue_base). The normal build runs this test.
  GTEST_SKIP() << "UBSan needs free descriptors for its vptr check";
#endif
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  ServerFixture f;
  std::vector<int> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(socket(AF_INET, SOCK_STREAM, 0));
  // Take every free descriptor below a modest soft limit.
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 512);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  for (int fd; (fd = open("/dev/null", O_RDONLY)) >= 0;) filler.push_back(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(f.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : clients) {
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    SendAll(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(1s);
  getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& r) {
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  const double used = cpu(after) - cpu(before);
  for (int fd : filler) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_LT(used, 0.3) << "seconds of CPU in one second with no descriptor free";
  for (int fd : clients) {
    std::string reply = ReadUntilClose(fd, 3s);
    EXPECT_EQ(StatusOf(reply), 200) << reply;
    close(fd);
  }
}

// ---- shutdown ----

// Destroying the server with keep-alive connections open must close them before the io_context
// goes (a heap-use-after-free under ASan before the fix).
TEST(ServerShutdownTest, DestroyWithOpenKeepAliveConnections) {
  ServerOptions c = TestConfig();
  c.idle_timeout = 30s;
  ServerFixture f(c);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    int fd = Connect(f.port());
    SendAll(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    fds.push_back(fd);
  }
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1);
  }
  ASSERT_TRUE(f.ActiveBecomes(4, 2s));
  f.Destroy();
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace astraguard::http
