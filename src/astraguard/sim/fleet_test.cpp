#include "astraguard/sim/fleet.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "astraguard/sim/simulate.hpp"

namespace astraguard::sim {
namespace {

TEST(FaultSpecTest, ParsesFullSpec) {
  auto f = ParseFaultSpec("sensor_stuck@1200+300:temperature#2");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->satellite, 2);
  EXPECT_EQ(f->episode.kind, FaultKind::kSensorStuck);
  EXPECT_EQ(f->episode.start_s, 1200);
  EXPECT_EQ(f->episode.duration_s, 300);
  EXPECT_EQ(f->episode.channel, Channel::kTemperature);
}

TEST(FaultSpecTest, RejectsBadSpecs) {
  EXPECT_FALSE(ParseFaultSpec("meteor@10").ok());
  EXPECT_FALSE(ParseFaultSpec("wheel_stall").ok());
  EXPECT_FALSE(ParseFaultSpec("wheel_stall@abc").ok());
  EXPECT_FALSE(ParseFaultSpec("wheel_stall@10+0").ok());
  EXPECT_FALSE(ParseFaultSpec("sensor_stuck@10:pressure").ok());
  EXPECT_FALSE(ParseFaultSpec("none@10").ok());
}

TEST(FleetTest, IdsAndOneRecordPerSatellitePerTick) {
  FleetConfig c;
  c.satellites = 4;
  Fleet f(c);
  auto recs = f.Tick();
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].satellite_id, "SAT-001");
  EXPECT_EQ(recs[3].satellite_id, "SAT-004");
  EXPECT_EQ(recs[0].timestamp_ms, kDefaultStartEpochMs + 10'000);
}

TEST(FleetTest, RandomScheduleIsDeterministicAndNonOverlapping) {
  FleetConfig c;
  c.satellites = 3;
  c.faults_per_hour = 1.0;
  c.horizon_s = 6 * 3600;
  Fleet a(c), b(c);
  ASSERT_EQ(a.schedule().size(), b.schedule().size());
  ASSERT_GT(a.schedule().size(), 3u);
  for (size_t i = 0; i < a.schedule().size(); ++i) {
    EXPECT_EQ(a.schedule()[i].episode.kind, b.schedule()[i].episode.kind);
    EXPECT_EQ(a.schedule()[i].episode.start_s, b.schedule()[i].episode.start_s);
  }
  for (size_t i = 1; i < a.schedule().size(); ++i) {
    const auto& p = a.schedule()[i - 1];
    const auto& q = a.schedule()[i];
    if (p.satellite == q.satellite) {
      EXPECT_GE(q.episode.start_s, p.episode.start_s + p.episode.duration_s + c.fault_gap_s);
    }
  }
}

TEST(FleetTest, NdjsonCarriesChannelsAndTruth) {
  FleetConfig c;
  c.satellites = 1;
  c.faults.push_back({0, {FaultKind::kSensorDropout, 0.0, 100.0, Channel::kCurrent}});
  Fleet f(c);
  std::ostringstream out;
  WriteNdjson(f.Tick()[0], true, out);
  auto v = boost::json::parse(out.str()).as_object();
  EXPECT_EQ(v.at("satellite_id").as_string(), "SAT-001");
  EXPECT_EQ(v.at("timestamp").as_string(), "2026-01-01T00:00:10.000Z");
  EXPECT_EQ(v.at("current").to_number<double>(), 0.0);
  EXPECT_GT(v.at("voltage").to_number<double>(), 20.0);
  EXPECT_TRUE(v.contains("temperature") && v.contains("gyro") && v.contains("wheel_speed"));
  EXPECT_EQ(v.at("truth").at("fault").as_string(), "sensor_dropout");
  EXPECT_EQ(v.at("truth").at("expected_type").as_string(), "sensor_fault");
  EXPECT_EQ(v.at("truth").at("channel").as_string(), "current");
  EXPECT_FALSE(boost::json::parse(TelemetryJson(f.Tick()[0])).as_object().contains("truth"));
}

TEST(FleetTest, WriteRecordsIsReproducibleAndCsvHasHeader) {
  SimulateOptions o;
  o.fleet.satellites = 2;
  o.samples = 50;
  o.fleet.faults_per_hour = 2;
  std::ostringstream a, b, csv;
  WriteRecords(o, a);
  WriteRecords(o, b);
  EXPECT_EQ(a.str(), b.str());
  const std::string as = a.str();
  EXPECT_EQ(std::count(as.begin(), as.end(), '\n'), 100);
  o.format = OutputFormat::kCsv;
  WriteRecords(o, csv);
  const std::string cs = csv.str();
  EXPECT_TRUE(cs.starts_with("satellite_id,timestamp,voltage,"));
  EXPECT_EQ(std::count(cs.begin(), cs.end(), '\n'), 101);
}

}  // namespace
}  // namespace astraguard::sim
