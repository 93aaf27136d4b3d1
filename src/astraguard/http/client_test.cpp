#include "astraguard/http/client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "astraguard/http/testing/scripted_server.hpp"

namespace astraguard::http {
namespace {

using testing::Reply;
using testing::ScriptedServer;

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

TEST(HttpClientTest, ParseHostPort) {
  auto hp = ParseHostPort("http://127.0.0.1:8080/");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 8080);
  EXPECT_EQ(ParseHostPort("example.org")->second, 80);
  EXPECT_FALSE(ParseHostPort("host:99999").ok());
  EXPECT_FALSE(ParseHostPort("http://:80").ok());
}

}  // namespace
}  // namespace astraguard::http
