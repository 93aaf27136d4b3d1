#include "astraguard/sim/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "astraguard/sim/simulate.hpp"

namespace astraguard::sim {
namespace {

// A scripted HTTP server on 127.0.0.1:0. For each request it reads headers + Content-Length body,
// records the request, and sends the next scripted reply; after `close_after` replies on one
// connection it closes it (to exercise reconnects).
class ScriptedServer {
 public:
  ScriptedServer(std::vector<std::string> replies, int close_after)
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
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> requests;  // read after the client is done
  std::atomic<int> connections{0};

 private:
  void Serve() {
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
  std::vector<std::string> replies_;
  int close_after_;
  int fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Reply(int status, std::string body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpClientTest, ContentLengthAndChunkedOnOneKeepAliveConnection) {
  ScriptedServer srv({Reply(200, "{\"a\":1}"),
                      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
                     10);
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  auto r1 = c.Request("POST", "/api/v1/telemetry", "{\"x\":1}");
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->body, "{\"a\":1}");
  auto r2 = c.Request("GET", "/x", "");
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2->status, 201);
  EXPECT_EQ(r2->body, "abcde");
  EXPECT_EQ(srv.connections.load(), 1);
}

TEST(HttpClientTest, ReconnectsWhenServerClosedIdleConnection) {
  ScriptedServer srv({Reply(200, "ok")}, 1);  // closes after each reply
  HttpClient c("127.0.0.1", srv.port(), std::chrono::milliseconds(2000));
  for (int i = 0; i < 3; ++i) {
    auto r = c.Request("POST", "/p", "{}");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->body, "ok");
  }
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    ScriptedServer srv({Reply(200, "")}, 1);
    port = srv.port();
  }
  HttpClient c("127.0.0.1", port, std::chrono::milliseconds(500));
  auto r = c.Request("GET", "/", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST(HttpClientTest, ParseHostPort) {
  auto hp = ParseHostPort("http://127.0.0.1:8080/");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 8080);
  EXPECT_EQ(ParseHostPort("example.org")->second, 80);
  EXPECT_FALSE(ParseHostPort("host:99999").ok());
}

TEST(PostRecordsTest, BatchesRecordsAndPrintsReportedAnomalies) {
  const std::string body =
      "{\"results\":[{\"is_anomaly\":true,\"satellite_id\":\"SAT-001\",\"anomaly_type\":"
      "\"wheel_fault\",\"severity_level\":\"HIGH\",\"recommended_action\":\"DESATURATE_WHEELS\","
      "\"mission_phase\":\"NOMINAL_OPS\",\"anomaly_id\":\"a1\",\"action_status\":\"recommended\"},{"
      "\"is_anomaly\":false}]}";
  ScriptedServer srv({Reply(200, body)}, 1000);
  SimulateOptions o;
  o.fleet.satellites = 2;
  o.samples = 5;
  o.batch_size = 4;
  o.rate = 0;
  o.print_anomalies = true;
  o.target = "http://127.0.0.1:" + std::to_string(srv.port());
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 0) << err.str();
  EXPECT_EQ(st.records, 10);
  EXPECT_EQ(st.requests, 3);  // 4 + 4 + final 2
  EXPECT_EQ(st.anomalies, 3);
  ASSERT_EQ(srv.requests.size(), 3u);
  EXPECT_NE(srv.requests[0].find("POST /api/v1/telemetry/batch HTTP/1.1"), std::string::npos);
  EXPECT_NE(srv.requests[0].find("{\"telemetry\":[{\"satellite_id\":\"SAT-001\""),
            std::string::npos);
  EXPECT_NE(out.str().find("ANOMALY sat=SAT-001 type=wheel_fault severity=HIGH "
                           "action=DESATURATE_WHEELS phase=NOMINAL_OPS id=a1 status=recommended"),
            std::string::npos);
}

TEST(PostRecordsTest, StopsWhenAskedEvenWithLongDuration) {
  ScriptedServer srv({Reply(200, "{}")}, 100000);
  std::atomic<bool> stop{false};
  SimulateOptions o;
  o.fleet.satellites = 1;
  o.rate = 50;
  o.duration_s = 3600;
  o.stop = &stop;
  o.target = "127.0.0.1:" + std::to_string(srv.port());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 0) << err.str();
  stopper.join();
  EXPECT_LT(st.elapsed_s, 5.0);
  EXPECT_GT(st.requests, 2);
}

TEST(PostRecordsTest, DemoOptionsFeedThreeSatellitesUntilStopped) {
  std::atomic<bool> stop{false};
  SimulateOptions o = DemoOptions(8000, &stop);
  EXPECT_EQ(o.fleet.satellites, 3);
  EXPECT_EQ(*o.target, "http://127.0.0.1:8000");
  EXPECT_TRUE(o.print_anomalies);
  EXPECT_EQ(o.stop, &stop);
  Fleet f(o.fleet);
  EXPECT_GT(f.schedule().size(), 10u);               // faults keep coming for the whole demo
  EXPECT_EQ(f.schedule()[0].episode.start_s, 60.0);  // and the first one comes early
}

TEST(PostRecordsTest, CountsServerErrorsAndFails) {
  ScriptedServer srv({Reply(503, "{}")}, 1000);
  SimulateOptions o;
  o.fleet.satellites = 1;
  o.samples = 3;
  o.rate = 0;
  o.target = "127.0.0.1:" + std::to_string(srv.port());
  std::ostringstream out, err;
  PostStats st;
  EXPECT_EQ(PostRecords(o, out, err, &st), 1);
  EXPECT_EQ(st.server_5xx, 3);
}

}  // namespace
}  // namespace astraguard::sim
