// End-to-end tests of the shared state in Redis: real `astraguard` binaries against a real
// redis-server the test starts on a free port. Two instances share history, lookup, feedback and
// phase; a Redis outage under load costs no 5xx and no acknowledged anomaly; a crash of Redis
// (AOF appendfsync always) and then kill -9 of an instance under load lose no anomaly whose id a
// client got (Redis's AOF keeps what Redis acknowledged, the instance's spool the rest).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "astraguard/http/client/client.hpp"
#include "astraguard/kv/testing/redis_server.hpp"
#include "service_process.hpp"

namespace astraguard {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using kv::testing::RedisServer;
using testing::ServiceProcess;

// A record under the red-low voltage limit: always an anomaly.
std::string Brownout(std::string_view sat) {
  return std::string(R"({"satellite_id":"SAT-)")
      .append(sat)
      .append(R"(","voltage":20.4,"temperature":21.3,"gyro":0.001,"current":5.6})");
}

std::map<std::string, std::string> RedisEnv(const RedisServer& r) {
  // No trace backend in these tests: tracing off, so that only Redis can make /health degraded.
  return {{"REDIS_URL", r.url()},
          {"ASTRAGUARD_BREAKER_OPEN_TIMEOUT_MS", "1000"},
          {"ASTRAGUARD_HEALTH_INTERVAL_MS", "200"},
          {"OTEL_SDK_DISABLED", "true"}};
}

http::ClientResponse Send(uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body = {}) {
  http::HttpClient c("127.0.0.1", port);
  auto r = c.Send(method, target, body);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : http::ClientResponse{};
}

json::value Json(const http::ClientResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v;
}

// The value of the first /metrics sample line starting with `series` (-1 if absent).
double Metric(uint16_t port, std::string_view series) {
  const std::string text = Send(port, "GET", "/metrics").body;
  size_t at = text.find(std::string("\n").append(series) + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

bool HealthyWithin(uint16_t port, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Json(Send(port, "GET", "/health")).at("status") == "healthy") return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Steady load: `threads` clients posting brownouts to `port` every 5 ms until stopped;
// remembers every anomaly id acknowledged and every status.
class Load {
 public:
  Load(uint16_t port, int threads, std::string tag) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, port, t, tag] {
        http::HttpClient c("127.0.0.1", port, 2s);
        const std::string body = Brownout(tag + std::to_string(t));
        while (!stop_.load()) {
          auto r = c.Send("POST", "/api/v1/telemetry", body);
          std::lock_guard lock(mu_);
          if (!r.ok()) {
            ++transport_errors_;
          } else {
            ++statuses_[r->status];
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            if (!ec && v.is_object() && v.as_object().contains("anomaly_id") &&
                v.at("anomaly_id").is_string()) {
              ids_.emplace_back(v.at("anomaly_id").as_string());
            }
          }
          std::this_thread::sleep_for(5ms);
        }
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }
  std::vector<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }
  std::map<int, int> statuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  int transport_errors() {
    std::lock_guard lock(mu_);
    return transport_errors_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> ids_;
  std::map<int, int> statuses_;
  int transport_errors_ = 0;
  std::vector<std::thread> workers_;
};

int ServerErrors(const std::map<int, int>& statuses) {
  int n = 0;
  for (const auto& [status, count] : statuses) n += status >= 500 ? count : 0;
  return n;
}

// A redis-server and two instances sharing it, both started.
class TwoInstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis.running());
    ASSERT_TRUE(a.started()) << a.output();
    ASSERT_TRUE(b.started()) << b.output();
  }
  RedisServer redis;
  ServiceProcess a{{"serve"}, RedisEnv(redis)};
  ServiceProcess b{{"serve"}, RedisEnv(redis)};
};

TEST_F(TwoInstancesTest, ShareHistoryLookupFeedbackAndPhase) {
  auto posted = Json(Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("1")));
  const std::string id(posted.at("anomaly_id").as_string());
  auto got = Send(b.api_port(), "GET", std::string("/api/v1/anomalies/").append(id));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got).at("satellite_id").as_string(), "SAT-1");
  auto history = Json(Send(b.api_port(), "GET", "/api/v1/history/anomalies?satellite_id=SAT-1"));
  ASSERT_EQ(history.at("count"), 1);
  EXPECT_EQ(history.at("anomalies").at(0).at("anomaly_id").as_string(), id);

  auto fb = Send(b.api_port(), "POST", std::string("/api/v1/anomalies/").append(id) + "/feedback",
                 R"({"label":"confirmed","note":"seen from b"})");
  ASSERT_EQ(fb.status, 200) << fb.body;
  EXPECT_EQ(Json(fb).at("confirmed_total"), 1);
  EXPECT_EQ(Json(Send(a.api_port(), "GET", std::string("/api/v1/anomalies/").append(id))).at("feedback").at("note"),
            "seen from b");
  EXPECT_EQ(Json(Send(a.api_port(), "GET", "/api/v1/status")).at("feedback").at("confirmed"), 1);

  auto phase = Send(a.api_port(), "POST", "/api/v1/phase", R"({"phase":"SAFE_MODE"})");
  ASSERT_EQ(phase.status, 200) << phase.body;
  auto seen = Json(Send(b.api_port(), "GET", "/api/v1/phase"));
  EXPECT_EQ(seen.at("phase"), "SAFE_MODE");
  EXPECT_EQ(seen.at("history").as_array().back().at("to"), "SAFE_MODE");
  // b's next change starts from the shared phase (SAFE_MODE -> NOMINAL_OPS is allowed).
  ASSERT_EQ(Send(b.api_port(), "POST", "/api/v1/phase", R"({"phase":"NOMINAL_OPS"})").status, 200);
  EXPECT_EQ(Json(Send(a.api_port(), "GET", "/api/v1/phase")).at("phase"), "NOMINAL_OPS");
  auto health = Json(Send(a.api_port(), "GET", "/health"));
  EXPECT_EQ(health.at("components").at("redis").at("status"), "healthy");

  // Recovery cooldowns are shared: b does not repeat the action a just recommended.
  auto first = Json(Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("CD")));
  ASSERT_EQ(first.at("action_status"), "recommended") << first;
  auto repeat = Json(Send(b.api_port(), "POST", "/api/v1/telemetry", Brownout("CD")));
  EXPECT_EQ(repeat.at("recommended_action"), first.at("recommended_action"));
  EXPECT_EQ(repeat.at("action_status"), "suppressed") << repeat;
}

TEST(RedisStateTest, TwoInstancesShareOneRateLimitAndFallBackToLocalBuckets) {
  RedisServer redis;
  ASSERT_TRUE(redis.running());
  auto env = RedisEnv(redis);
  env["ASTRAGUARD_RATE_LIMIT_ANONYMOUS"] = "0.2:3";  // 3 at once, then one every 5 s
  ServiceProcess a({"serve"}, env);
  ServiceProcess b({"serve"}, env);
  ASSERT_TRUE(a.started()) << a.output();
  ASSERT_TRUE(b.started()) << b.output();

  for (int i = 0; i < 3; ++i) ASSERT_EQ(Send(a.api_port(), "GET", "/api/v1/phase").status, 200);
  // a used the caller's bucket: b, which this caller never called, refuses it.
  auto refused = Send(b.api_port(), "GET", "/api/v1/phase");
  ASSERT_EQ(refused.status, 429) << refused.body;
  ASSERT_TRUE(refused.RetryAfter().has_value());
  EXPECT_GE(refused.RetryAfter()->count(), 1);
  EXPECT_LE(refused.RetryAfter()->count(), 5);
  EXPECT_EQ(Send(a.api_port(), "GET", "/api/v1/phase").status, 429);
  EXPECT_EQ(Metric(b.api_port(), "astra_rate_limited_total{role=\"anonymous\"}"), 1);

  // Redis down: b limits with its own (full) local bucket, and says so.
  redis.Stop();
  EXPECT_EQ(Send(b.api_port(), "GET", "/api/v1/phase").status, 200);
  std::this_thread::sleep_for(600ms);  // the health checker's interval is 200 ms
  auto health = Json(Send(b.api_port(), "GET", "/health"));
  const auto& limiter = health.at("components").at("rate_limiter");
  EXPECT_EQ(limiter.at("status"), "degraded") << health;
  EXPECT_NE(std::string(limiter.at("last_error").as_string()).find("redis"), std::string::npos)
      << health;
  EXPECT_EQ(Send(b.api_port(), "GET", "/api/v1/phase").status, 200);
  EXPECT_EQ(Send(b.api_port(), "GET", "/api/v1/phase").status, 429);  // local bucket empty
  EXPECT_NE(b.output().find("rate_limiter_degraded"), std::string::npos);
}

TEST_F(TwoInstancesTest, ShareTheRecoveryActionLog) {
  auto first = Json(Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("RA")));
  auto second = Json(Send(b.api_port(), "POST", "/api/v1/telemetry", Brownout("RB")));
  auto third = Json(Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("RA")));
  // Either instance lists all three, newest first, with their anomaly ids.
  for (uint16_t port : {a.api_port(), b.api_port()}) {
    auto all = Json(Send(port, "GET", "/api/v1/recovery/actions"));
    ASSERT_EQ(all.at("count"), 3) << all;
    EXPECT_EQ(all.at("actions").at(0).at("anomaly_id"), third.at("anomaly_id"));
    EXPECT_EQ(all.at("actions").at(1).at("anomaly_id"), second.at("anomaly_id"));
    EXPECT_EQ(all.at("actions").at(2).at("anomaly_id"), first.at("anomaly_id"));
    EXPECT_EQ(all.at("actions").at(2).at("satellite_id"), "SAT-RA");
  }
  auto filtered = Json(Send(b.api_port(), "GET", "/api/v1/recovery/actions?satellite_id=SAT-RA&limit=1"));
  ASSERT_EQ(filtered.at("count"), 1) << filtered;
  EXPECT_EQ(filtered.at("actions").at(0).at("anomaly_id"), third.at("anomaly_id"));

  // Redis down: each instance answers from its own log (a made two of the three decisions).
  redis.Stop();
  auto own = Send(a.api_port(), "GET", "/api/v1/recovery/actions");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(Json(own).at("count"), 2) << own.body;
}

TEST_F(TwoInstancesTest, ShareTheLatestTelemetryPerSatellite) {
  ASSERT_EQ(Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("LA")).status, 200);
  ASSERT_EQ(Send(b.api_port(), "POST", "/api/v1/telemetry",
                 R"({"satellite_id":"SAT-LB","voltage":28.1,"temperature":20,"gyro":0,"channels":{"rw_temp":31.5}})")
                .status,
            200);
  for (uint16_t port : {a.api_port(), b.api_port()}) {
    auto r = Send(port, "GET", "/api/v1/satellites");
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = Json(r);
    ASSERT_EQ(v.at("count"), 2) << v;
    const auto& la = v.at("satellites").at(0);
    EXPECT_EQ(la.at("satellite_id"), "SAT-LA");
    EXPECT_EQ(la.at("values").at(0).at("channel"), "voltage");
    EXPECT_EQ(la.at("values").at(0).at("value"), 20.4);
    EXPECT_GE(la.at("age_seconds").to_number<double>(), 0);
    const auto& lb = v.at("satellites").at(1);
    EXPECT_EQ(lb.at("satellite_id"), "SAT-LB");
    EXPECT_EQ(lb.at("values").as_array().back().at("channel"), "rw_temp");
  }
  auto bad = Send(a.api_port(), "GET", "/api/v1/satellites?limit=5");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("limit"), std::string::npos);

  // Redis down: each instance lists what it received itself.
  redis.Stop();
  auto own = Json(Send(b.api_port(), "GET", "/api/v1/satellites"));
  ASSERT_EQ(own.at("count"), 1) << own;
  EXPECT_EQ(own.at("satellites").at(0).at("satellite_id"), "SAT-LB");
}

TEST(RedisStateTest, RedisDownAtStartIsDegradedNotFatalAndReplayedWhenItComes) {
  RedisServer redis;
  redis.Stop();  // its port is known, nothing listens on it yet
  ServiceProcess a({"serve"}, RedisEnv(redis));
  ASSERT_TRUE(a.started()) << a.output();
  EXPECT_EQ(Json(Send(a.api_port(), "GET", "/health")).at("components").at("redis").at("status"),
            "degraded");
  EXPECT_EQ(Send(a.api_port(), "GET", "/health/ready").status, 200);
  auto r = Send(a.api_port(), "POST", "/api/v1/telemetry", Brownout("D"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id(Json(r).at("anomaly_id").as_string());
  ASSERT_TRUE(redis.Start());
  ASSERT_TRUE(HealthyWithin(a.api_port(), 10s)) << a.output();
  ServiceProcess b({"serve"}, RedisEnv(redis));
  ASSERT_TRUE(b.started()) << b.output();
  EXPECT_EQ(Send(b.api_port(), "GET", std::string("/api/v1/anomalies/").append(id)).status, 200);
}

TEST(RedisStateTest, MalformedRedisUrlExits2NamingIt) {
  for (const char* url : {"rediss://cache:6380", "redis://cache:99999", "redis://cache/db1"}) {
    auto [rc, out] = testing::RunToCompletion({"serve"}, {{"REDIS_URL", url}});
    EXPECT_EQ(rc, 2) << url << ": " << out;
    EXPECT_NE(out.find("REDIS_URL"), std::string::npos) << out;
  }
}

TEST(RedisStateTest, OutageUnderLoadCostsNo5xxAndNoAcknowledgedAnomaly) {
  RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.running());
  ServiceProcess a({"serve"}, RedisEnv(redis));
  ServiceProcess b({"serve"}, RedisEnv(redis));
  ASSERT_TRUE(a.started() && b.started()) << a.output() << b.output();

  Load on_a(a.api_port(), 2, "A"), on_b(b.api_port(), 1, "B");
  std::this_thread::sleep_for(1s);
  const size_t before = on_a.ids().size();
  redis.Stop();
  std::this_thread::sleep_for(2s);
  auto degraded = Json(Send(a.api_port(), "GET", "/health"));
  EXPECT_EQ(degraded.at("status"), "degraded");
  EXPECT_EQ(degraded.at("components").at("redis").at("status"), "degraded");
  EXPECT_FALSE(degraded.at("components").at("redis").at("last_error").as_string().empty());
  EXPECT_EQ(Send(a.api_port(), "GET", "/health/ready").status, 200);
  std::this_thread::sleep_for(3s);
  const size_t during = on_a.ids().size() - before;
  ASSERT_TRUE(redis.Start());
  std::this_thread::sleep_for(2s);
  on_a.Stop();
  on_b.Stop();
  ASSERT_TRUE(HealthyWithin(a.api_port(), 10s)) << a.output();
  ASSERT_TRUE(HealthyWithin(b.api_port(), 10s)) << b.output();

  EXPECT_GT(during, 200u);  // the load went on through the outage
  EXPECT_EQ(ServerErrors(on_a.statuses()), 0);
  EXPECT_EQ(ServerErrors(on_b.statuses()), 0);
  EXPECT_EQ(on_a.transport_errors() + on_b.transport_errors(), 0);
  size_t missing = 0;
  for (const auto& id : on_a.ids()) {
    missing += Send(b.api_port(), "GET", std::string("/api/v1/anomalies/").append(id)).status != 200;
  }
  for (const auto& id : on_b.ids()) {
    missing += Send(a.api_port(), "GET", std::string("/api/v1/anomalies/").append(id)).status != 200;
  }
  EXPECT_EQ(missing, 0u) << "of " << on_a.ids().size() + on_b.ids().size();
  std::printf("outage: %zu anomalies acknowledged (%zu by a during the 5 s outage), %zu missing, "
              "replayed by a: %.0f\n",
              on_a.ids().size() + on_b.ids().size(), during, missing,
              Metric(a.api_port(), "astra_redis_replayed_total"));
  const std::string breaker = R"(astra_circuit_breaker_transitions_total{from_state=")";
  EXPECT_GE(Metric(a.api_port(), breaker + R"(closed",name="redis",to_state="open"})"), 1);
  EXPECT_GE(Metric(a.api_port(), breaker + R"(half_open",name="redis",to_state="closed"})"), 1);
  EXPECT_GE(Metric(a.api_port(), "astra_redis_replayed_total"), 1);
  EXPECT_EQ(Metric(a.api_port(), "astra_redis_replay_dropped_total"), 0);
  EXPECT_EQ(Metric(a.api_port(), "astra_redis_degraded"), 0);
  const std::string log = a.output();
  EXPECT_NE(log.find("redis_degraded"), std::string::npos);
  EXPECT_NE(log.find("redis_recovered"), std::string::npos);
}

TEST(RedisStateTest, KillNineUnderLoadWithAofLosesNoAcknowledgedAnomaly) {
  RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.running());
  auto env = RedisEnv(redis);
  env["ASTRAGUARD_REDIS_SPOOL"] = redis.dir() + "/instance-a.spool";
  std::vector<std::string> ids;
  size_t before_outage = 0;
  {
    ServiceProcess a({"serve"}, env);
    ASSERT_TRUE(a.started()) << a.output();
    Load load(a.api_port(), 3, "K");
    std::this_thread::sleep_for(1000ms);
    before_outage = load.ids().size();
    redis.Stop();  // Redis crashes: what it acknowledged is in its AOF...
    std::this_thread::sleep_for(1000ms);  // ...and a acknowledges the rest from its buffer
    a.Wait(5s, SIGKILL);                  // then a is killed before Redis returns
    load.Stop();
    ids = load.ids();
  }
  ASSERT_TRUE(redis.Start());
  ServiceProcess again({"serve"}, env);  // the same instance restarted: replays its spool
  ASSERT_TRUE(again.started()) << again.output();
  ASSERT_TRUE(HealthyWithin(again.api_port(), 10s)) << again.output();
  ASSERT_GT(before_outage, 50u);
  ASSERT_GT(ids.size() - before_outage, 50u);
  size_t missing = 0;
  for (const auto& id : ids) {
    missing += Send(again.api_port(), "GET", std::string("/api/v1/anomalies/").append(id)).status != 200;
  }
  EXPECT_EQ(missing, 0u) << "of " << ids.size();
  std::printf("kill -9: %zu anomaly ids received (%zu while Redis was down), %zu missing after "
              "restart\n", ids.size(), ids.size() - before_outage, missing);
  EXPECT_NE(again.output().find("redis_spool_loaded"), std::string::npos);
}

TEST(RedisStateTest, ChaosRedisFaultsDegradeAndRecoverThroughTheApi) {
  RedisServer redis;
  ASSERT_TRUE(redis.running());
  ServiceProcess a({"serve"}, RedisEnv(redis));
  ASSERT_TRUE(a.started()) << a.output();
  const uint16_t port = a.api_port();

  // redis_latency above the 50 ms budget: calls time out, the instance answers from memory.
  ASSERT_EQ(Send(port, "POST", "/api/v1/chaos/redis_latency",
                 R"({"duration_seconds": 30, "params": {"latency_ms": 80}})")
                .status,
            200);
  auto slow = Send(port, "POST", "/api/v1/telemetry", Brownout("L"));
  ASSERT_EQ(slow.status, 200) << slow.body;
  const std::string slow_id(Json(slow).at("anomaly_id").as_string());
  EXPECT_EQ(Send(port, "DELETE", "/api/v1/chaos/redis_latency").status, 200);

  ASSERT_EQ(Send(port, "POST", "/api/v1/chaos/redis_outage", R"({"duration_seconds": 30})").status,
            200);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = Send(port, "POST", "/api/v1/telemetry", Brownout("C"));
    ASSERT_EQ(r.status, 200) << r.body;
    ids.emplace_back(Json(r).at("anomaly_id").as_string());
  }
  std::this_thread::sleep_for(1s);  // the probe re-tries, the breaker opens
  auto health = Json(Send(port, "GET", "/health"));
  EXPECT_EQ(health.at("status"), "degraded");
  EXPECT_NE(health.at("components").at("redis").at("last_error").as_string().find("chaos"),
            std::string::npos)
      << health;
  EXPECT_EQ(health.at("circuit_breakers").at("redis").at("state"), "open");
  EXPECT_EQ(Send(port, "GET", std::string("/api/v1/anomalies/").append(ids[3])).status, 200);
  EXPECT_EQ(Send(port, "DELETE", "/api/v1/chaos/redis_outage").status, 200);
  ASSERT_TRUE(HealthyWithin(port, 10s)) << a.output();

  // Everything acknowledged under both faults is in Redis: another instance reads it.
  ServiceProcess b({"serve"}, RedisEnv(redis));
  ASSERT_TRUE(b.started()) << b.output();
  ids.push_back(slow_id);
  for (const auto& id : ids) {
    EXPECT_EQ(Send(b.api_port(), "GET", std::string("/api/v1/anomalies/").append(id)).status, 200)
        << id;
  }
  EXPECT_GE(Metric(port, R"(astra_chaos_injections_total{status="started",type="redis_outage"})"),
            1);
  EXPECT_GE(Metric(port, R"(astra_health_check_failures_total{service="redis"})"), 1);
}

}  // namespace
}  // namespace astraguard
