#include "astraguard/storage/redis_anomaly_store.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <set>
#include <thread>

#include "astraguard/kv/testing/redis_server.hpp"
#include "astraguard/storage/action_log_store.hpp"
#include "astraguard/storage/cooldown_store.hpp"
#include "astraguard/storage/latest_store.hpp"
#include "astraguard/storage/phase_store.hpp"
#include "astraguard/storage/record_json.hpp"

namespace astraguard::storage {
namespace {

using namespace std::chrono_literals;

AnomalyRecord Rec(std::string sat, int64_t ts, int rank, std::string type, double score = 0.5) {
  AnomalyRecord r;
  r.satellite_id = std::move(sat);
  r.timestamp_ms = ts;
  r.recorded_ms = ts + 7;
  r.anomaly_score = score;
  r.severity_rank = rank;
  r.severity_score = score;
  r.severity_level = "HIGH";
  r.confidence = 0.875;
  r.anomaly_type = std::move(type);
  r.classification_reason = "bus voltage \"low\"";
  r.mission_phase = "NOMINAL_OPS";
  r.recommended_action = "REDUCE_POWER_LOAD";
  r.action_status = "recommended";
  r.escalated = true;
  r.recurrence_count = 3;
  r.reasoning = "type=power_fault ✓";
  r.values = {{"voltage", 20.4}, {"gyro", -0.001}};
  r.contributing = {{"voltage", 20.4, 1.0, "below red-low"}};
  return r;
}

// Waits until `pred` holds (at most 5 s).
template <typename P>
bool Eventually(P pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

double Value(prometheus::Registry& reg, const std::string& name) {
  for (const auto& f : reg.Collect()) {
    if (f.name != name) continue;
    const auto& m = f.metric.at(0);
    return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.running()); }

  std::unique_ptr<RedisAnomalyStore> MakeStore(kv::RedisClient& c, std::string instance,
                                               size_t capacity = 1000, size_t replay = 1000) {
    RedisStoreOptions o;
    o.capacity = capacity;
    o.replay_capacity = replay;
    o.probe_interval = 20ms;
    o.instance = std::move(instance);
    return std::make_unique<RedisAnomalyStore>(c, o, clock_, registry_, logger_);
  }

  kv::testing::RedisServer server_;
  SystemClock clock_;
  prometheus::Registry registry_;
  obs::MemoryLogSink* sink_ = new obs::MemoryLogSink;
  obs::Logger logger_{obs::LogConfig{}, std::unique_ptr<obs::LogSink>(sink_), clock_};
  kv::RedisClient client_{server_.client_options()};
  kv::RedisClient other_client_{server_.client_options()};
};

TEST(RecordJsonTest, RoundTripsEveryField) {
  AnomalyRecord r = Rec("SAT-001", 1000, 2, "power_fault", 0.8);
  auto back = DecodeRecord(EncodeRecord(r), "an-1");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->id, "an-1");
  EXPECT_EQ(EncodeRecord(*back), EncodeRecord(r));
  EXPECT_EQ(back->values, r.values);
  EXPECT_EQ(back->contributing[0].reason, "below red-low");
  EXPECT_FALSE(DecodeRecord("{\"sat\":1}", "x").ok());
  EXPECT_FALSE(DecodeRecord("[", "x").ok());
  auto f = DecodeFeedback(EncodeFeedback({FeedbackLabel::kFalsePositive, "glint", 42}));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->label, FeedbackLabel::kFalsePositive);
  EXPECT_EQ(f->note, "glint");
  EXPECT_EQ(f->at_ms, 42);
}

TEST_F(RedisStoreTest, RoundTripsARecordAndItsFeedback) {
  auto store = MakeStore(client_, "aaaaaaaa");
  const AnomalyRecord in = Rec("SAT-001", 1000, 2, "power_fault", 0.8);
  auto id = store->Append(in);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id->starts_with("an-"));
  EXPECT_TRUE(id->ends_with("-aaaaaaaa"));
  auto got = store->Get(*id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  AnomalyRecord expect = in;
  expect.id = *id;
  EXPECT_EQ(EncodeRecord(*got), EncodeRecord(expect));
  EXPECT_FALSE(got->feedback.has_value());
  auto up = store->SetFeedback(*id, {FeedbackLabel::kFalsePositive, "glint", 5});
  ASSERT_TRUE(up.ok());
  EXPECT_FALSE(up->previous.has_value());
  EXPECT_EQ(up->counts.false_positive, 1);
  up = store->SetFeedback(*id, {FeedbackLabel::kConfirmed, "real", 6});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->previous, FeedbackLabel::kFalsePositive);
  EXPECT_EQ(up->counts.confirmed, 1);
  EXPECT_EQ(up->counts.false_positive, 0);
  got = store->Get(*id);
  ASSERT_TRUE(got->feedback.has_value());
  EXPECT_EQ(got->feedback->note, "real");
  EXPECT_EQ(store->Get("an-0000000000000001-ffffffff").status().code(), Code::kNotFound);
  EXPECT_EQ(store->Get("garbage").status().code(), Code::kNotFound);
  EXPECT_EQ(store->SetFeedback("an-x", {}).status().code(), Code::kNotFound);
  const StoreStats s = store->Stats();
  EXPECT_TRUE(s.healthy);
  EXPECT_EQ(s.backend, "redis");
  EXPECT_EQ(s.size, 1);
  EXPECT_EQ(s.feedback.confirmed, 1);
}

TEST_F(RedisStoreTest, QueriesFilterAndPageNewestFirstLikeTheMemoryStore) {
  auto store = MakeStore(client_, "aaaaaaaa");
  InMemoryAnomalyStore memory(1000);
  for (int i = 0; i < 600; ++i) {  // more than one scan chunk
    auto r = Rec(i % 2 ? "SAT-002" : "SAT-001", 1000 * (i + 1), i % 4,
                 i % 3 ? "power_fault" : "thermal_fault", 0.001 * i);
    ASSERT_TRUE(store->Append(r).ok());
    ASSERT_TRUE(memory.Append(r).ok());
  }
  AnomalyQuery q;
  q.satellite_id = "SAT-001";
  q.anomaly_type = "thermal_fault";
  q.severity_rank_min = 2;
  q.from_ms = 30'000;
  q.limit = 7;
  std::vector<int64_t> redis_ts, memory_ts;
  for (auto* s : {static_cast<AnomalyStore*>(store.get()), static_cast<AnomalyStore*>(&memory)}) {
    auto& out = s == store.get() ? redis_ts : memory_ts;
    AnomalyQuery page_q = q;
    for (int pages = 0; pages < 100; ++pages) {
      auto p = s->Query(page_q);
      ASSERT_TRUE(p.ok()) << p.status().message();
      EXPECT_LE(p->items.size(), 7u);
      for (const auto& r : p->items) out.push_back(r.timestamp_ms);
      if (!p->next_cursor) break;
      page_q.cursor = p->next_cursor;
    }
  }
  EXPECT_FALSE(redis_ts.empty());
  EXPECT_EQ(redis_ts, memory_ts);
  AnomalyQuery bad;
  bad.cursor = "c12";
  EXPECT_EQ(store->Query(bad).status().code(), Code::kInvalidArgument);
  bad.cursor.reset();
  bad.limit = 0;
  EXPECT_EQ(store->Query(bad).status().code(), Code::kValidation);
}

TEST_F(RedisStoreTest, EvictsTheOldestBeyondCapacity) {
  auto store = MakeStore(client_, "aaaaaaaa", /*capacity=*/5);
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(*store->Append(Rec("S", i, 0, "power_fault")));
  EXPECT_EQ(store->Get(ids[2]).status().code(), Code::kNotFound);
  EXPECT_TRUE(store->Get(ids[3]).ok());
  EXPECT_EQ(store->Stats().size, 5);
  EXPECT_EQ(store->Stats().evicted_total, 3);
  EXPECT_EQ(client_.Run({"EXISTS", "astraguard:anomaly:" + ids[0]})->integer, 0);
}

TEST_F(RedisStoreTest, TwoInstancesShareHistoryFeedbackAndCounts) {
  auto a = MakeStore(client_, "aaaaaaaa");
  auto b = MakeStore(other_client_, "bbbbbbbb");
  auto ida = a->Append(Rec("SAT-001", 1, 3, "power_fault"));
  auto idb = b->Append(Rec("SAT-002", 2, 3, "thermal_fault"));
  ASSERT_TRUE(ida.ok() && idb.ok());
  EXPECT_TRUE(b->Get(*ida).ok());
  EXPECT_TRUE(a->Get(*idb).ok());
  auto page = a->Query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, *idb);  // newest first across instances
  ASSERT_TRUE(a->SetFeedback(*idb, {FeedbackLabel::kConfirmed, "", 1}).ok());
  auto up = b->SetFeedback(*ida, {FeedbackLabel::kFalsePositive, "", 2});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->counts.confirmed, 1);
  EXPECT_EQ(up->counts.false_positive, 1);
  EXPECT_EQ(b->Get(*idb)->feedback->label, FeedbackLabel::kConfirmed);
  EXPECT_EQ(a->Stats().feedback.false_positive, 1);
}

TEST_F(RedisStoreTest, OutageAnswersFromMemoryAndReplaysInOrderWithTheSameIds) {
  auto a = MakeStore(client_, "aaaaaaaa");
  auto b = MakeStore(other_client_, "bbbbbbbb");
  auto before = a->Append(Rec("SAT-001", 1, 3, "power_fault"));
  ASSERT_TRUE(before.ok());
  server_.Stop();

  std::vector<std::string> during;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto id = a->Append(Rec("SAT-001", 100 + i, 3, "power_fault"));
    ASSERT_TRUE(id.ok());
    during.push_back(*id);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);  // no waiting on a dead Redis
  EXPECT_TRUE(a->degraded());
  EXPECT_EQ(a->pending(), 50u);
  auto fb = a->SetFeedback(during[3], {FeedbackLabel::kConfirmed, "during", 3});
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(a->Get(during[7])->timestamp_ms, 107);  // answered from memory
  auto page = a->Query({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 51u);
  const StoreStats s = a->Stats();
  EXPECT_FALSE(s.healthy);
  EXPECT_NE(s.last_error.find("redis"), std::string::npos) << s.last_error;
  EXPECT_EQ(Value(registry_, "astra_redis_degraded"), 1);
  EXPECT_EQ(Value(registry_, "astra_redis_replay_pending"), 51);
  // A cursor made while degraded pages on in Redis once it is back, and the reverse.
  AnomalyQuery first_page;
  first_page.limit = 10;
  auto degraded_page = a->Query(first_page);
  ASSERT_TRUE(degraded_page.ok());
  ASSERT_TRUE(degraded_page->next_cursor.has_value());
  EXPECT_EQ(*degraded_page->next_cursor, "k" + during[40]);
  first_page.cursor = "k" + during[45];  // as Redis made it before the outage
  EXPECT_EQ(a->Query(first_page)->items.front().id, during[44]);

  ASSERT_TRUE(server_.Start());  // empty: no persistence in this test
  ASSERT_TRUE(Eventually([&] { return !a->degraded(); }));
  EXPECT_EQ(Value(registry_, "astra_redis_replayed_total"), 51);
  EXPECT_EQ(Value(registry_, "astra_redis_degraded"), 0);
  for (const auto& id : during) {
    auto r = b->Get(id);  // through the OTHER instance
    ASSERT_TRUE(r.ok()) << id;
  }
  EXPECT_EQ(b->Get(during[3])->feedback->note, "during");
  AnomalyQuery next_page;
  next_page.limit = 10;
  next_page.cursor = degraded_page->next_cursor;
  auto from_redis = a->Query(next_page);
  ASSERT_TRUE(from_redis.ok());
  ASSERT_EQ(from_redis->items.size(), 10u);
  EXPECT_EQ(from_redis->items.front().id, during[39]);
  auto all = b->Query({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 50u);  // `before` was lost with the unpersisted Redis
  EXPECT_EQ(all->items.front().id, during.back());
  EXPECT_NE(sink_->Contents().find("redis_degraded"), std::string::npos);
  logger_.Flush();
  EXPECT_NE(sink_->Contents().find("redis_recovered"), std::string::npos);
}

TEST_F(RedisStoreTest, SpoolLetsAKilledProcessReplayWhatItAcknowledged) {
  RedisStoreOptions o;
  o.probe_interval = 20ms;
  o.instance = "aaaaaaaa";
  o.spool_path = server_.dir() + "/spool.ndjson";
  std::vector<std::string> ids;
  server_.Stop();
  {
    RedisAnomalyStore a(client_, o, clock_, registry_, logger_);
    for (int i = 0; i < 10; ++i) ids.push_back(*a.Append(Rec("S", i, 0, "power_fault")));
    ASSERT_TRUE(a.SetFeedback(ids[4], {FeedbackLabel::kConfirmed, "spooled", 1}).ok());
  }  // the process "dies" with Redis down: its buffer is gone, the spool is not
  prometheus::Registry registry2;
  RedisAnomalyStore again(client_, o, clock_, registry2, logger_);
  EXPECT_TRUE(again.degraded());
  EXPECT_EQ(again.pending(), 11u);
  EXPECT_TRUE(again.Get(ids[9]).ok());  // answered from the reloaded local copy
  ASSERT_TRUE(server_.Start());
  ASSERT_TRUE(Eventually([&] { return !again.degraded(); })) << again.Stats().last_error;
  auto b = MakeStore(other_client_, "bbbbbbbb");
  for (const auto& id : ids) EXPECT_TRUE(b->Get(id).ok()) << id;
  EXPECT_EQ(b->Get(ids[4])->feedback->note, "spooled");
  EXPECT_EQ(std::filesystem::file_size(o.spool_path), 0u);  // emptied once replayed
}

TEST_F(RedisStoreTest, ReplayBufferOverflowIsCountedAndLogged) {
  auto a = MakeStore(client_, "aaaaaaaa", 1000, /*replay=*/3);
  server_.Stop();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->Append(Rec("S", i, 0, "power_fault")).ok());
  EXPECT_EQ(a->pending(), 3u);
  EXPECT_EQ(Value(registry_, "astra_redis_replay_dropped_total"), 2);
  logger_.Flush();
  EXPECT_NE(sink_->Contents().find("redis_replay_buffer_full"), std::string::npos);
  ASSERT_TRUE(server_.Start());
  ASSERT_TRUE(Eventually([&] { return !a->degraded(); }));
  EXPECT_EQ(a->Stats().size, 3);
}

TEST_F(RedisStoreTest, ActionLogIsSharedNewestFirstCappedAndFiltered) {
  RedisActionLogStore a(client_, 3), b(other_client_, 3);
  auto entry = [](int i, std::string_view sat) {
    return std::string(R"({"seq":)")
        .append(std::to_string(i))
        .append(R"(,"satellite_id":")")
        .append(sat)
        .append(R"("})");
  };
  ASSERT_TRUE(a.Push(entry(1, "S1")).ok());
  ASSERT_TRUE(b.Push(entry(2, "S2")).ok());
  ASSERT_TRUE(a.Push(entry(3, "S1")).ok());
  ASSERT_TRUE(b.Push(entry(4, "S2")).ok());  // drops seq 1
  auto all = b.Recent(10, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(*all, (std::vector<std::string>{entry(4, "S2"), entry(3, "S1"), entry(2, "S2")}));
  auto two = a.Recent(2, std::nullopt);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (std::vector<std::string>{entry(4, "S2"), entry(3, "S1")}));
  auto s2 = a.Recent(1, std::string_view("S2"));
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(*s2, std::vector<std::string>{entry(4, "S2")});
  auto s1 = a.Recent(10, std::string_view("S1"));
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(*s1, std::vector<std::string>{entry(3, "S1")});
  server_.Stop();
  EXPECT_EQ(a.Recent(10, std::nullopt).status().code(), Code::kUnavailable);
  EXPECT_EQ(a.Push(entry(5, "S1")).code(), Code::kUnavailable);
}

LatestTelemetry Latest(std::string sat, int64_t received_ms, double voltage) {
  return {std::move(sat), received_ms - 5, received_ms, {{"voltage", voltage}, {"x", 1.5}}};
}

// Calls of one Redis command since the server started (INFO commandstats).
int64_t CommandCalls(kv::RedisClient& c, std::string_view cmd) {
  auto info = c.Run({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string tag = std::string("cmdstat_").append(cmd).append(":calls=");
  const size_t at = info->str.find(tag);
  return at == std::string::npos ? 0 : std::stoll(info->str.substr(at + tag.size()));
}

TEST(LatestTelemetryStoreTest, InMemoryExpiresAndStaysBounded) {
  LatestTelemetryStore store({.ttl = 10s, .write_interval = 1000ms, .capacity = 16});
  store.Put(Latest("S1", 1000, 20.0));
  store.Put(Latest("S2", 2000, 21.0));
  store.Put(Latest("S1", 3000, 22.0));  // replaces S1's
  auto all = store.List(3000);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].satellite_id, "S1");
  EXPECT_EQ(all[0].values[0].second, 22.0);
  EXPECT_EQ(all[0].timestamp_ms, 2995);
  EXPECT_EQ(all[1].satellite_id, "S2");
  EXPECT_EQ(store.List(12000).size(), 1u);  // S2 expired at 12000
  EXPECT_TRUE(store.List(13000).empty());
  for (int i = 0; i < 1000; ++i) store.Put(Latest(std::string("B").append(std::to_string(i)), 20000 + i, 1));
  EXPECT_LE(store.List(21000).size(), 16u);  // one per shard at most
  EXPECT_FALSE(store.List(21000).empty());
  EXPECT_TRUE(DecodeLatest(EncodeLatest(Latest("S", 10, 2))).has_value());
  EXPECT_FALSE(DecodeLatest(R"({"satellite_id":"S"})").has_value());
}

TEST_F(RedisStoreTest, LatestTelemetryIsSharedWithATtlAndWrittenAtMostOncePerInterval) {
  const LatestOptions o{.ttl = 60s, .write_interval = 1000ms, .capacity = 1000};
  LatestTelemetryStore a(o, &client_), b(o, &other_client_);
  const int64_t now = 1'800'000'000'000;
  const int64_t sets_before = CommandCalls(client_, "set");
  // 100 records of one satellite 10 ms apart (1 s of telemetry at 100 Hz), and one of another.
  for (int i = 0; i < 100; ++i) a.Put(Latest("S1", now + i * 10, 20.0 + i));
  b.Put(Latest("S2", now + 500, 30.0));
  // Measured: 2 SETs for 101 records (S1 once, S2 once); S1 at +1000 ms is written again.
  EXPECT_EQ(CommandCalls(client_, "set") - sets_before, 2);
  a.Put(Latest("S1", now + 1000, 99.0));
  EXPECT_EQ(CommandCalls(client_, "set") - sets_before, 3);

  auto seen = b.List(now + 1000);  // b reads a's record from Redis
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].satellite_id, "S1");
  EXPECT_EQ(seen[0].values[0].second, 99.0);
  EXPECT_EQ(seen[1].satellite_id, "S2");
  EXPECT_EQ(b.List(now + 1000 + 61'000).size(), 0u);  // older than the TTL
  auto ttl = client_.Run({"TTL", "astraguard:latest:S1"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 60);

  server_.Stop();  // b answers from its own memory
  seen = b.List(now + 1000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].satellite_id, "S2");
}

TEST_F(RedisStoreTest, CooldownClaimIsExclusiveUntilItExpires) {
  RedisCooldownStore a(client_), b(other_client_);
  auto first = a.Claim("SAT-1", "REDUCE_POWER_LOAD", 1000, 300);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->has_value());
  auto second = b.Claim("SAT-1", "REDUCE_POWER_LOAD", 1100, 300);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, std::optional<int64_t>(1000));
  EXPECT_FALSE(b.Claim("SAT-2", "REDUCE_POWER_LOAD", 1100, 300)->has_value());
  EXPECT_FALSE(b.Claim("SAT-1", "ALERT_OPERATORS", 1100, 300)->has_value());
  std::this_thread::sleep_for(400ms);  // Redis expires the claim
  EXPECT_FALSE(b.Claim("SAT-1", "REDUCE_POWER_LOAD", 1500, 300)->has_value());
  server_.Stop();
  EXPECT_EQ(a.Claim("SAT-1", "X", 1, 1).status().code(), Code::kUnavailable);
}

TEST_F(RedisStoreTest, PhaseStoreInitializesOnceAndComparesBeforeAppending) {
  RedisPhaseStore a(client_), b(other_client_);
  ASSERT_TRUE(a.Initialize({"NOMINAL_OPS", "NOMINAL_OPS", 1, false, false, "initial"}).ok());
  ASSERT_TRUE(b.Initialize({"LAUNCH", "LAUNCH", 2, false, false, "initial"}).ok());
  auto h = b.History(10);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ(h->front().to, "NOMINAL_OPS");
  EXPECT_TRUE(*a.Append({"NOMINAL_OPS", "SAFE_MODE", 3, false, false, "x"}, false, 10));
  EXPECT_FALSE(*b.Append({"NOMINAL_OPS", "PAYLOAD_OPS", 4, false, false, "stale"}, false, 10));
  EXPECT_TRUE(*b.Append({"NOMINAL_OPS", "PAYLOAD_OPS", 5, true, true, "replayed"}, true, 2));
  h = a.History(10);
  ASSERT_EQ(h->size(), 2u);  // trimmed to the limit
  EXPECT_EQ(h->back().to, "PAYLOAD_OPS");
  EXPECT_TRUE(h->back().forced);
  EXPECT_TRUE(h->back().automatic);
  EXPECT_EQ(h->back().at_ms, 5);
  server_.Stop();
  EXPECT_EQ(a.History(10).status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace astraguard::storage
