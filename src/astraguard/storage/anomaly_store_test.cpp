#include "astraguard/storage/anomaly_store.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace astraguard::storage {
namespace {

AnomalyRecord Rec(std::string sat, int64_t ts, int rank, std::string type, double score = 0.5) {
  AnomalyRecord r;
  r.satellite_id = std::move(sat);
  r.timestamp_ms = ts;
  r.severity_rank = rank;
  r.severity_score = score;
  r.anomaly_type = std::move(type);
  return r;
}

class AnomalyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 20 records: satellites alternate, ts 1000..20000, rank i % 4, types alternate.
    for (int i = 0; i < 20; ++i) {
      auto id = store_.Append(Rec(i % 2 ? "SAT-002" : "SAT-001", 1000 * (i + 1), i % 4,
                                  i % 3 ? "power_fault" : "thermal_fault", 0.05 * i));
      ASSERT_TRUE(id.ok());
      ids_.push_back(*id);
    }
  }
  InMemoryAnomalyStore store_{100};
  std::vector<std::string> ids_;
};

TEST_F(AnomalyStoreTest, AssignsUniqueIdsAndGetsById) {
  EXPECT_EQ(std::set<std::string>(ids_.begin(), ids_.end()).size(), 20u);
  auto r = store_.Get(ids_[4]);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, ids_[4]);
  EXPECT_EQ(r->timestamp_ms, 5000);
  EXPECT_EQ(store_.Get("an-999").status().code(), Code::kNotFound);
  EXPECT_EQ(store_.Get("garbage").status().code(), Code::kNotFound);
}

TEST_F(AnomalyStoreTest, QueryReturnsNewestFirst) {
  AnomalyQuery q;
  q.limit = 3;
  auto p = store_.Query(q);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->items.size(), 3u);
  EXPECT_EQ(p->items[0].timestamp_ms, 20000);
  EXPECT_EQ(p->items[2].timestamp_ms, 18000);
  EXPECT_TRUE(p->next_cursor.has_value());
}

TEST_F(AnomalyStoreTest, FiltersCombine) {
  AnomalyQuery q;
  q.satellite_id = "SAT-001";  // even i
  q.from_ms = 3000;
  q.to_ms = 15000;                 // i in 2..14
  q.severity_rank_min = 2;         // i % 4 >= 2
  q.anomaly_type = "power_fault";  // i % 3 != 0
  q.limit = 1000;
  auto p = store_.Query(q);
  ASSERT_TRUE(p.ok());
  std::vector<int64_t> ts;
  for (const auto& r : p->items) ts.push_back(r.timestamp_ms);
  // even i in [2,14], i%4 in {2,3} -> {2,6,10,14}; i%3 != 0 -> {2,10,14}
  EXPECT_EQ(ts, (std::vector<int64_t>{15000, 11000, 3000}));
  EXPECT_FALSE(p->next_cursor.has_value());
}

TEST_F(AnomalyStoreTest, SeverityScoreFilter) {
  AnomalyQuery q;
  q.severity_score_min = 0.8;  // 0.05 * i >= 0.8 -> i >= 16
  auto p = store_.Query(q);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->items.size(), 4u);
}

TEST_F(AnomalyStoreTest, CursorPaginationVisitsEveryMatchOnce) {
  AnomalyQuery q;
  q.satellite_id = "SAT-002";
  q.limit = 3;
  std::vector<int64_t> seen;
  int pages = 0;
  while (true) {
    auto p = store_.Query(q);
    ASSERT_TRUE(p.ok());
    ++pages;
    for (const auto& r : p->items) seen.push_back(r.timestamp_ms);
    if (!p->next_cursor) break;
    q.cursor = p->next_cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 4);  // 10 matches, 3 per page
  ASSERT_EQ(seen.size(), 10u);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i], seen[i - 1]);
}

TEST_F(AnomalyStoreTest, RejectsBadQueries) {
  AnomalyQuery q;
  q.limit = 0;
  EXPECT_EQ(store_.Query(q).status().code(), Code::kValidation);
  q.limit = 1001;
  EXPECT_EQ(store_.Query(q).status().fields().at(0).field, "limit");
  q.limit = 10;
  q.cursor = "zzz";
  EXPECT_EQ(store_.Query(q).status().code(), Code::kInvalidArgument);
  q.cursor.reset();
  q.from_ms = 10;
  q.to_ms = 5;
  EXPECT_EQ(store_.Query(q).status().fields().at(0).field, "from");
}

TEST_F(AnomalyStoreTest, FeedbackIsStoredAndReportsPreviousLabel) {
  auto a = store_.SetFeedback(ids_[3], {FeedbackLabel::kFalsePositive, "glint", 42});
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->previous.has_value());
  EXPECT_EQ(a->record.feedback->note, "glint");
  auto b = store_.SetFeedback(ids_[3], {FeedbackLabel::kConfirmed, "", 43});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->previous, FeedbackLabel::kFalsePositive);
  EXPECT_EQ(store_.Get(ids_[3])->feedback->label, FeedbackLabel::kConfirmed);
  EXPECT_EQ(store_.SetFeedback("an-12345", {}).status().code(), Code::kNotFound);
}

TEST(InMemoryAnomalyStoreTest, EvictsOldestBeyondCapacity) {
  InMemoryAnomalyStore s(5);
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(*s.Append(Rec("S", i, 0, "unknown")));
  EXPECT_EQ(s.Get(ids[2]).status().code(), Code::kNotFound);
  EXPECT_TRUE(s.Get(ids[3]).ok());
  auto st = s.Stats();
  EXPECT_EQ(st.size, 5);
  EXPECT_EQ(st.capacity, 5);
  EXPECT_EQ(st.appended_total, 8);
  EXPECT_EQ(st.evicted_total, 3);
  AnomalyQuery q;
  q.limit = 1000;
  EXPECT_EQ(s.Query(q)->items.size(), 5u);
  q.cursor = "c2";  // before the evicted range: nothing left
  EXPECT_TRUE(s.Query(q)->items.empty());
}

TEST(InMemoryAnomalyStoreTest, ConcurrentAppendsAndQueries) {
  InMemoryAnomalyStore s(1000);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&s, t] {
      for (int i = 0; i < 500; ++i) {
        (void)s.Append(Rec(t % 2 ? "S1" : "S0", i, i % 4, "unknown"));
        if (i % 50 == 0) {
          AnomalyQuery q;
          q.limit = 50;
          ASSERT_TRUE(s.Query(q).ok());
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(s.Stats().appended_total, 2000);
  EXPECT_EQ(s.Stats().size, 1000);
}

}  // namespace
}  // namespace astraguard::storage
