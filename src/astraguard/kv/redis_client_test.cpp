#include "astraguard/kv/redis_client.hpp"

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <thread>

#include "astraguard/kv/testing/redis_server.hpp"

namespace astraguard::kv {
namespace {

TEST(ParseRedisUrlTest, ReadsHostPortCredentialsAndDb) {
  auto ep = ParseRedisUrl("redis://user:p%40ss@cache.local:6380/3");
  ASSERT_TRUE(ep.ok()) << ep.status().message();
  EXPECT_EQ(ep->host, "cache.local");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->user, "user");
  EXPECT_EQ(ep->password, "p@ss");
  EXPECT_EQ(ep->db, 3);
}

TEST(ParseRedisUrlTest, DefaultsPortAndDb) {
  auto ep = ParseRedisUrl("redis://:secret@localhost");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "secret");
  auto v6 = ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(ParseRedisUrlTest, RefusesTlsAndMalformedUrls) {
  auto tls = ParseRedisUrl("rediss://cache:6380");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("TLS"), std::string::npos);
  for (const char* bad : {"http://x", "redis://", "redis://host:", "redis://host:0",
                          "redis://host:70000", "redis://host/x", "redis://host/-1",
                          "redis://user@host", "redis://host?db=1", "redis://a:%zz@host",
                          "redis://[::1"}) {
    EXPECT_FALSE(ParseRedisUrl(bad).ok()) << bad;
  }
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.running()); }
  RedisOptions Options() { return server_.client_options(); }
  testing::RedisServer server_;
};

TEST_F(RedisClientTest, RunsCommandsAndConvertsReplies) {
  RedisClient c(Options());
  ASSERT_TRUE(c.Run({"SET", "k", std::string("a\0b", 3)}).ok());
  auto v = c.Run({"GET", "k"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, std::string("a\0b", 3));
  EXPECT_TRUE(c.Run({"GET", "missing"})->nil());
  EXPECT_EQ(c.Run({"INCRBY", "n", "5"})->integer, 5);
  auto p = c.Pipeline({{"RPUSH", "l", "x", "y"}, {"LRANGE", "l", "0", "-1"}});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  ASSERT_EQ((*p)[1].elements.size(), 2u);
  EXPECT_EQ((*p)[1].elements[1].str, "y");
}

TEST_F(RedisClientTest, ErrorReplyIsInternalAndConnectionStaysUsable) {
  RedisClient c(Options());
  auto bad = c.Pipeline({{"SET", "s", "1"}, {"LPUSH", "s", "x"}, {"GET", "s"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInternal);
  EXPECT_NE(bad.status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(c.Run({"GET", "s"})->str, "1");
}

TEST_F(RedisClientTest, SelectsDbAndAuthenticates) {
  ASSERT_TRUE(RedisClient(Options()).Run({"CONFIG", "SET", "requirepass", "pw"}).ok());
  RedisOptions o = Options();
  auto noauth = RedisClient(o).Run({"PING"});
  ASSERT_FALSE(noauth.ok());
  EXPECT_NE(noauth.status().message().find("NOAUTH"), std::string::npos);
  o.endpoint.password = "pw";
  o.endpoint.db = 2;
  RedisClient c(o);
  ASSERT_TRUE(c.Run({"SET", "k", "in-db-2"}).ok());
  o.endpoint.db = 0;
  EXPECT_TRUE(RedisClient(o).Run({"GET", "k"})->nil());
}

TEST_F(RedisClientTest, DownIsUnavailableWithinBudgetAndReconnects) {
  RedisClient c(Options());
  ASSERT_TRUE(c.Run({"PING"}).ok());
  server_.Stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Run({"PING"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(c.Run({"PING"}).status().code(), Code::kUnavailable);
  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(c.Run({"PING"}).ok());
}

TEST_F(RedisClientTest, PooledConnectionsOfARestartedRedisAreReplacedWithoutAFailure) {
  RedisClient c(Options());
  std::vector<std::thread> ts;  // several pooled connections
  for (int t = 0; t < 4; ++t) ts.emplace_back([&] { ASSERT_TRUE(c.Run({"PING"}).ok()); });
  for (auto& t : ts) t.join();
  server_.Stop();
  ASSERT_TRUE(server_.Start());
  for (int i = 0; i < 4; ++i) {
    auto r = c.Run({"PING"});
    EXPECT_TRUE(r.ok()) << i << ": " << r.status().message();
  }
}

TEST_F(RedisClientTest, SlowReplyTimesOutAtTheBudget) {
  RedisOptions o = Options();
  o.timeout = std::chrono::milliseconds(50);
  RedisClient c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Run({"DEBUG", "SLEEP", "0.5"});
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_LT(took, std::chrono::milliseconds(300));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(c.Run({"PING"}).ok());  // a fresh connection, not the stale reply
}

TEST_F(RedisClientTest, ConcurrentCallersShareThePool) {
  RedisClient c(Options());
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(c.Run({"INCR", "ctr"}).ok());
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.Run({"GET", "ctr"})->str, "1600");
}

TEST_F(RedisClientTest, BreakerOpensOnOutageAndFaultSwitchesApply) {
  FakeClock clock;
  prometheus::Registry registry;
  resilience::CircuitBreaker breaker("redis", {.failure_threshold = 2, .success_threshold = 1,
                                               .open_timeout = std::chrono::seconds(10)},
                                     clock, registry);
  resilience::FaultSwitches faults;
  RedisClient c(Options(), &breaker, &faults);
  ASSERT_TRUE(c.Run({"PING"}).ok());
  faults.redis_latency_ms = 5;
  EXPECT_TRUE(c.Run({"PING"}).ok());
  faults.redis_latency_ms = 60;  // above the 50 ms budget: a timeout
  auto slow = c.Run({"PING"});
  EXPECT_NE(slow.status().message().find("redis_latency"), std::string::npos);
  faults.redis_latency_ms = 0;
  faults.redis_outage = true;
  auto down = c.Run({"PING"});
  EXPECT_NE(down.status().message().find("redis_outage"), std::string::npos);
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kOpen);
  faults.redis_outage = false;
  auto open = c.Run({"PING"});  // fails fast while open, Redis is not asked
  EXPECT_NE(open.status().message().find("breaker open"), std::string::npos);
  clock.Advance(std::chrono::seconds(11));
  EXPECT_TRUE(c.Run({"PING"}).ok());  // half-open trial succeeds and closes it
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kClosed);
  // An error reply is Redis answering: not a breaker failure.
  EXPECT_FALSE(c.Run({"NOSUCHCOMMAND"}).ok());
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kClosed);
}

}  // namespace
}  // namespace astraguard::kv
