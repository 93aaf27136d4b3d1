// The bench's ceilings: the smallest Boost.Beast HTTP/1.1 keep-alive server that reads a
// request of the same shape, with the same threading as the service, and either answers a fixed
// JSON reply (`fixed`) or parses and validates the telemetry body with Boost.JSON and answers a
// reply of the service's size and shape (`parse`: what any JSON service must do at least).
// Whatever the service achieves is compared with these on the same machine, in the same run.
//
// Usage: ceiling_server <port> <threads> [fixed|parse]   (prints "api_port=<port>" once
// listening; default fixed)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cmath>

#include <iostream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Parses the body, checks the fields a telemetry record has (numbers in range, a string id) and
// renders a reply of the size and shape of the service's (about 560 bytes), or a 422-sized error.
std::pair<http::status, std::string> ParseAndAnswer(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {http::status::bad_request, R"({"status":400})"};
  const auto& o = v.as_object();
  auto number = [&](const char* key, double lo, double hi) {
    const auto* f = o.if_contains(key);
    if (f == nullptr || !f->is_number()) return false;
    const double d = f->to_number<double>();
    return std::isfinite(d) && d >= lo && d <= hi;
  };
  const auto* id = o.if_contains("satellite_id");
  if (!number("voltage", 0, 50) || !number("temperature", -100, 150) ||
      !number("gyro", -100, 100) || (id != nullptr && !id->is_string())) {
    return {http::status::unprocessable_entity, R"({"status":422})"};
  }
  boost::json::object r;
  r["satellite_id"] = id != nullptr ? id->as_string() : boost::json::string("default");
  r["anomaly_score"] = 0;
  r["confidence"] = 0.9;
  r["is_anomaly"] = false;
  r["mission_phase"] = "NOMINAL_OPS";
  r["anomaly_id"] = nullptr;
  r["anomaly_type"] = "normal";
  r["severity_score"] = 0;
  r["severity_level"] = "LOW";
  r["recommended_action"] = "NO_ACTION";
  r["action_status"] = nullptr;
  r["escalated"] = false;
  r["recurrence_count"] = 0;
  r["reasoning"] = "All telemetry parameters within limits";
  r["detector"] = "default";
  r["timestamp"] = "2026-01-01T00:09:50.000000Z";
  r["contributing_channels"] = boost::json::array();
  return {http::status::ok, boost::json::serialize(r)};
}

asio::awaitable<void> Session(tcp::socket socket, bool parse) {
  beast::error_code nodelay_ec;
  socket.set_option(tcp::no_delay(true), nodelay_ec);  // as the service does
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kTuple);
    if (ec) break;
    http::response<http::string_body> res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    if (parse) {
      auto [status, reply] = ParseAndAnswer(req.body());
      res.result(status);
      res.body() = std::move(reply);
    } else {
      res.body() = R"({"status":"ok"})";
    }
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !req.keep_alive()) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Accept(asio::io_context& ioc, tcp::acceptor& acceptor, bool parse) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
    if (ec) continue;
    asio::co_spawn(socket.get_executor(), Session(std::move(socket), parse), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 4 ? argv[3] : "fixed";
  if ((argc != 3 && argc != 4) || (mode != "fixed" && mode != "parse")) {
    std::cerr << "usage: ceiling_server <port> <threads> [fixed|parse]\n";
    return 2;
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(asio::make_strand(ioc),
                         {asio::ip::make_address("127.0.0.1"),
                          static_cast<uint16_t>(std::stoi(argv[1]))});
  std::cout << "api_port=" << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(acceptor.get_executor(), Accept(ioc, acceptor, mode == "parse"), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < std::stoi(argv[2]); ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
}
