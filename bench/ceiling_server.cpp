// The bench's ceiling: the smallest Boost.Beast HTTP/1.1 keep-alive server that reads a request
// of the same shape and answers a fixed JSON reply, with the same threading as the service.
// Whatever the service achieves is compared with this on the same machine, in the same run.
//
// Usage: ceiling_server <port> <threads>   (prints "api_port=<port>" once listening)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> Session(tcp::socket socket) {
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
    res.body() = R"({"status":"ok"})";
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !req.keep_alive()) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Accept(asio::io_context& ioc, tcp::acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
    if (ec) continue;
    asio::co_spawn(socket.get_executor(), Session(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ceiling_server <port> <threads>\n";
    return 2;
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(asio::make_strand(ioc),
                         {asio::ip::make_address("127.0.0.1"),
                          static_cast<uint16_t>(std::stoi(argv[1]))});
  std::cout << "api_port=" << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(acceptor.get_executor(), Accept(ioc, acceptor), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < std::stoi(argv[2]); ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
}
