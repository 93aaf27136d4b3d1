#include <atomic>
#include <cmath>
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "astraguard/app/app.hpp"
#include "astraguard/cli/commands.hpp"
#include "astraguard/http/client.hpp"

namespace astraguard::cli {
namespace {

// A simple telemetry generator: three satellites on a 28 V bus with an orbital thermal cycle,
// sensor noise, and now and then a fault on one channel for a few records.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Next(int satellite, uint64_t step) {
    std::normal_distribution<double> noise(0.0, 1.0);
    const double phase = 2 * M_PI * static_cast<double>(step % 90) / 90.0;
    double voltage = 28.0 + 0.8 * std::sin(phase) + 0.05 * noise(rng_);
    double temperature = 20.0 + 15.0 * std::sin(phase + satellite) + 0.3 * noise(rng_);
    double gyro = 0.002 * noise(rng_);
    double current = 3.0 + 0.5 * std::cos(phase) + 0.05 * noise(rng_);
    double wheel = 2500.0 + 200.0 * satellite + 20.0 * noise(rng_);
    std::uniform_int_distribution<int> pick(0, 59);
    if (fault_left_[satellite] == 0 && pick(rng_) == 0) {
      fault_kind_[satellite] = pick(rng_) % 4;
      fault_left_[satellite] = 3;
    }
    if (fault_left_[satellite] > 0) {
      --fault_left_[satellite];
      switch (fault_kind_[satellite]) {
        case 0: voltage = 21.0 + noise(rng_) * 0.2; break;       // brownout
        case 1: temperature = 88.0 + noise(rng_); break;         // thermal runaway
        case 2: gyro = 0.6 + 0.05 * noise(rng_); break;          // gyro spike
        default: wheel = 6200.0 + 50 * noise(rng_); break;       // wheel overspeed
      }
    }
    return fmt::format(
        R"({{"satellite_id":"demo-sat-{}","voltage":{:.3f},"temperature":{:.2f},"gyro":{:.5f},"current":{:.3f},"wheel_speed":{:.1f}}})",
        satellite + 1, voltage, temperature, gyro, current, wheel);
  }

 private:
  std::mt19937 rng_;
  int fault_left_[3] = {0, 0, 0};
  int fault_kind_[3] = {0, 0, 0};
};

}  // namespace

int RunDemo(const config::Config& config, std::ostream& out) {
  app::App app(config);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "astraguard: " << s.message() << "\n";
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  PrintListening(out, config, app.api_port(), app.metrics_port());
  out << fmt::format(
             "demo: posting telemetry for 3 satellites to http://127.0.0.1:{0}/api/v1/telemetry\n"
             "      look at http://127.0.0.1:{0}/health and http://127.0.0.1:{1}/metrics; "
             "Ctrl-C stops\n",
             app.api_port(), app.metrics_port())
      << std::flush;

  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    http::HttpClient client("127.0.0.1", app.api_port());
    Generator gen(42);
    uint64_t posted = 0, anomalies = 0;
    for (uint64_t step = 0; !stop.load(); ++step) {
      for (int sat = 0; sat < 3 && !stop.load(); ++sat) {
        auto res = client.Send("POST", "/api/v1/telemetry", gen.Next(sat, step));
        if (!res.ok()) {
          out << "demo: " << res.status().message() << std::endl;
          continue;
        }
        ++posted;
        boost::system::error_code ec;
        auto v = boost::json::parse(res->body, ec);
        if (ec || !v.is_object()) continue;
        const auto& o = v.as_object();
        if (o.contains("is_anomaly") && o.at("is_anomaly").as_bool()) {
          ++anomalies;
          const auto& top = o.at("contributing_channels").as_array().at(0).as_object();
          out << fmt::format("ANOMALY {} type={} severity={} score={:.2f} action={} | {}\n",
                             o.at("satellite_id").as_string().c_str(),
                             o.at("anomaly_type").as_string().c_str(),
                             o.at("severity_level").as_string().c_str(),
                             o.at("anomaly_score").to_number<double>(),
                             o.at("recommended_action").as_string().c_str(),
                             top.at("reason").as_string().c_str())
              << std::flush;
        }
      }
      if (step % 100 == 99) {
        out << fmt::format("demo: {} records evaluated, {} anomalies\n", posted, anomalies)
            << std::flush;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  stop.store(true);
  feeder.join();
  app.Shutdown();
  out << "demo: stopped" << std::endl;
  return 0;
}

}  // namespace astraguard::cli
