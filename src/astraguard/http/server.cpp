#include "astraguard/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "astraguard/http/problem.hpp"

namespace astraguard::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Completion of a detached coroutine: an exception escaping a session must end that session
// only, never the io thread (and so the process).
constexpr auto kSwallow = [](const std::exception_ptr&) {};

// How often the sweeper looks for connections past their deadline: the timeout granularity.
constexpr auto kSweepInterval = std::chrono::milliseconds(50);

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Per-connection state. Deadlines are plain timestamps checked by one sweeper per server
// instead of a timer per request: arming a deadline costs an atomic store, not a syscall.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::atomic<int64_t> deadline_ns{0};  // 0: none
  // While reading a request an expired deadline cancels the read so that the session can still
  // answer 408; in any other phase (idle, writing, closing) it closes the socket.
  std::atomic<bool> reading{false};
  std::atomic<bool> idle{true};
  bool timed_out = false;  // only touched on the connection's strand

  void Arm(std::chrono::nanoseconds timeout) { deadline_ns.store(NowNs() + timeout.count()); }
  void Disarm() { deadline_ns.store(0); }
};

}  // namespace

struct Server::Impl {
  Impl(const config::ServerConfig& c, Handler h, obs::Metrics& m, obs::RouteMetrics& r)
      : config(c), handler(std::move(h)), metrics(m), rejected(r) {}

  config::ServerConfig config;
  Handler handler;
  obs::Metrics& metrics;
  obs::RouteMetrics& rejected;
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
  std::unique_ptr<tcp::acceptor> api_acceptor;
  std::unique_ptr<tcp::acceptor> metrics_acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> connections{0};
  std::mutex connections_mu;  // taken on connect, disconnect, sweep and drain; never per request
  std::list<std::shared_ptr<Connection>> open;

  Result<std::unique_ptr<tcp::acceptor>> Listen(uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config.host, ec);
    if (ec) {
      return Status::Error(Code::kInvalidArgument,
                           fmt::format("ASTRAGUARD_HOST: '{}' is not an IP address", config.host));
    }
    auto acc = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc));
    tcp::endpoint ep(address, port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Error(Code::kUnavailable,
                           fmt::format("cannot listen on {}:{}: {}", config.host, port,
                                       ec.message()));
    }
    return acc;
  }

  asio::awaitable<void> Accept(tcp::acceptor& acceptor, bool metrics_only) {
    while (!draining.load()) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(*ioc), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || draining.load()) break;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto conn = std::make_shared<Connection>(std::move(socket));
      if (connections.load() >= static_cast<int64_t>(config.max_connections)) {
        asio::co_spawn(conn->socket.get_executor(), RefuseOverCapacity(conn), kSwallow);
        continue;
      }
      asio::co_spawn(conn->socket.get_executor(), Session(conn, metrics_only), kSwallow);
    }
  }

  // Closes connections past their deadline, or cancels their read (see Connection).
  asio::awaitable<void> Sweep() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (true) {
      timer.expires_after(kSweepInterval);
      auto [ec] = co_await timer.async_wait(kTuple);
      if (ec) break;
      const int64_t now = NowNs();
      std::lock_guard lock(connections_mu);
      for (const auto& conn : open) {
        const int64_t d = conn->deadline_ns.load();
        if (d == 0 || d > now) continue;
        asio::post(conn->socket.get_executor(), [conn, d] {
          if (conn->deadline_ns.load() != d) return;  // re-armed meanwhile
          conn->deadline_ns.store(0);
          boost::system::error_code ignored;
          if (conn->reading.load()) {
            conn->timed_out = true;
            conn->socket.cancel(ignored);
          } else {
            conn->socket.close(ignored);
          }
        });
      }
    }
  }

  void Track(const std::shared_ptr<Connection>& conn,
             std::list<std::shared_ptr<Connection>>::iterator& self) {
    std::lock_guard lock(connections_mu);
    self = open.insert(open.end(), conn);
  }
  void Untrack(std::list<std::shared_ptr<Connection>>::iterator self) {
    std::lock_guard lock(connections_mu);
    open.erase(self);
  }

  asio::awaitable<void> RefuseOverCapacity(std::shared_ptr<Connection> conn) {
    std::list<std::shared_ptr<Connection>>::iterator self;
    Track(conn, self);
    conn->Arm(std::chrono::seconds(1));
    Response res;
    WriteProblem(503, "too many open connections; retry later", res);
    co_await Write(conn->socket, res, false);
    boost::system::error_code ec;
    conn->socket.shutdown(tcp::socket::shutdown_both, ec);
    conn->socket.close(ec);
    Untrack(self);
  }

  static std::string_view Header(const bhttp::request<bhttp::string_body>& req,
                                 bhttp::field f) {
    auto it = req.find(f);
    if (it == req.end()) return {};
    return std::string_view(it->value().data(), it->value().size());
  }
  static std::string_view Header(const bhttp::request<bhttp::string_body>& req,
                                 std::string_view name) {
    auto it = req.find(name);
    if (it == req.end()) return {};
    return std::string_view(it->value().data(), it->value().size());
  }

  // Serializes the response head directly (status line, Content-Type, Content-Length, extra
  // headers, Connection) and writes head and body in one gather write: cheaper than building a
  // Beast message, whose generic field container dominated the cost of a small response.
  // Header names and values come from our own code, never from the client.
  // `http10`: the request was HTTP/1.0, whose keep-alive must be confirmed explicitly.
  asio::awaitable<size_t> Write(tcp::socket& socket, Response& res, bool keep_alive,
                                bool http10 = false) {
    std::string head;
    head.reserve(256);
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    fmt::format_to(std::back_inserter(head),
                   "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", res.status,
                   std::string_view(reason.data(), reason.size()), res.content_type,
                   res.body.size());
    for (const auto& [name, value] : res.headers) {
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    if (res.traceparent_size > 0) {
      head += "traceparent: ";
      head.append(res.traceparent.data(), res.traceparent_size);
      head += "\r\n";
    }
    if (!keep_alive) {
      head += "Connection: close\r\n";
    } else if (http10) {
      head += "Connection: keep-alive\r\n";
    }
    head += "\r\n";
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(res.body)};
    co_await asio::async_write(socket, buffers, kTuple);
    co_return res.body.size();
  }


  // Answers a protocol-level failure; the caller then closes the connection.
  asio::awaitable<void> Reject(Connection& conn, int status, std::string_view detail,
                               std::chrono::steady_clock::time_point start) {
    Response res;
    WriteProblem(status, detail, res);
    conn.reading.store(false);
    conn.Arm(std::chrono::seconds(2));
    size_t bytes = co_await Write(conn.socket, res, false);
    rejected.Observe(status, Seconds(start), 0, bytes);
    boost::system::error_code ec;
    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
    // Give the client a moment to read the answer before the close turns into a reset.
    std::array<char, 4096> sink;
    for (size_t drained = 0; drained < (8u << 20);) {
      auto [rec, n] = co_await conn.socket.async_read_some(asio::buffer(sink), kTuple);
      if (rec) break;
      drained += n;
    }
  }

  static double Seconds(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  asio::awaitable<void> Session(std::shared_ptr<Connection> conn, bool metrics_only) {
    connections.fetch_add(1);
    metrics.active_connections().Increment();
    std::list<std::shared_ptr<Connection>>::iterator self;
    Track(conn, self);
    tcp::socket& socket = conn->socket;
    boost::system::error_code ec;
    const std::string client = socket.remote_endpoint(ec).address().to_string(ec);
    const uint16_t local_port = socket.local_endpoint(ec).port();
    beast::flat_buffer buffer(config.max_header_bytes + 1024);

    while (true) {
      if (buffer.size() == 0) {
        if (draining.load()) break;
        conn->idle.store(true);
        conn->Arm(config.idle_timeout);
        auto [rec, n] =
            co_await socket.async_read_some(buffer.prepare(config.max_header_bytes), kTuple);
        conn->idle.store(false);
        if (rec) break;  // closed by the client, idle timeout, or drain
        buffer.commit(n);
      }
      in_flight.fetch_add(1);
      struct Done {
        std::atomic<int64_t>& n;
        ~Done() { n.fetch_sub(1); }
      } done{in_flight};
      const auto start = std::chrono::steady_clock::now();

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(config.max_header_bytes));
      parser.body_limit(config.max_body_bytes);
      conn->timed_out = false;
      conn->reading.store(true);
      conn->Arm(config.read_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(socket, buffer, parser, kTuple);
      if (hec) {
        if (hec == bhttp::error::header_limit) {
          co_await Reject(*conn, 431, "request headers exceed 8 KiB", start);
        } else if (hec == bhttp::error::body_limit) {
          co_await Reject(*conn, 413,
                          fmt::format("request body exceeds the limit of {} bytes",
                                      config.max_body_bytes),
                          start);
        } else if (conn->timed_out) {
          co_await Reject(*conn, 408, "request not received within the read timeout", start);
        } else if (hec != bhttp::error::end_of_stream && hec != asio::error::eof &&
                   hec != asio::error::connection_reset) {
          co_await Reject(*conn, 400, fmt::format("malformed HTTP request: {}", hec.message()),
                          start);
        }
        break;
      }
      if (bhttp::token_list(Header(parser.get(), bhttp::field::expect)).exists("100-continue")) {
        bhttp::response<bhttp::empty_body> cont(bhttp::status::continue_, 11);
        co_await bhttp::async_write(socket, cont, kTuple);
      }
      auto [bec, bn] = co_await bhttp::async_read(socket, buffer, parser, kTuple);
      if (bec) {
        if (bec == bhttp::error::body_limit) {
          co_await Reject(*conn, 413,
                          fmt::format("request body exceeds the limit of {} bytes",
                                      config.max_body_bytes),
                          start);
        } else if (conn->timed_out) {
          co_await Reject(*conn, 408, "request body not received within the read timeout",
                          start);
        } else if (bec != asio::error::eof && bec != asio::error::connection_reset) {
          co_await Reject(*conn, 400, fmt::format("malformed HTTP request: {}", bec.message()),
                          start);
        }
        break;
      }
      conn->reading.store(false);
      conn->Disarm();
      const auto& msg = parser.get();
      Request req;
      req.method = std::string_view(msg.method_string().data(), msg.method_string().size());
      req.target = std::string_view(msg.target().data(), msg.target().size());
      req.content_type = Header(msg, bhttp::field::content_type);
      req.body = msg.body();
      req.traceparent = Header(msg, "traceparent");
      req.tracestate = Header(msg, "tracestate");
      req.authorization = Header(msg, bhttp::field::authorization);
      req.user_agent = Header(msg, bhttp::field::user_agent);
      req.client_address = client;
      req.local_port = local_port;
      req.metrics_listener = metrics_only;
      Response res;
      try {
        handler(req, res);
      } catch (const std::exception& e) {
        res = Response();
        WriteProblem(500, "internal error while handling the request", res);
      }
      const bool keep_alive = msg.keep_alive() && !draining.load();
      conn->Arm(config.read_timeout);
      co_await Write(socket, res, keep_alive, msg.version() == 10);
      conn->Disarm();
      if (!keep_alive) {
        socket.shutdown(tcp::socket::shutdown_send, ec);
        break;
      }
    }
    conn->Disarm();
    socket.close(ec);
    Untrack(self);
    metrics.active_connections().Decrement();
    connections.fetch_sub(1);
  }
};

Server::Server(const config::ServerConfig& config, Handler handler, obs::Metrics& metrics,
               obs::RouteMetrics& rejected)
    : impl_(std::make_unique<Impl>(config, std::move(handler), metrics, rejected)) {}

Server::~Server() {
  Stop();
  impl_->api_acceptor.reset();
  impl_->metrics_acceptor.reset();
  impl_->ioc.reset();  // destroys suspended sessions while the counters they touch still exist
}

Status Server::Start() {
  auto api = impl_->Listen(impl_->config.port);
  if (!api.ok()) return api.status();
  auto metrics = impl_->Listen(impl_->config.metrics_port);
  if (!metrics.ok()) return metrics.status();
  impl_->api_acceptor = std::move(*api);
  impl_->metrics_acceptor = std::move(*metrics);
  asio::co_spawn(impl_->api_acceptor->get_executor(),
                 impl_->Accept(*impl_->api_acceptor, false), kSwallow);
  asio::co_spawn(impl_->metrics_acceptor->get_executor(),
                 impl_->Accept(*impl_->metrics_acceptor, true), kSwallow);
  asio::co_spawn(asio::make_strand(*impl_->ioc), impl_->Sweep(), kSwallow);
  unsigned n = impl_->config.io_threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc->run(); });
  }
  return Status::Ok();
}

uint16_t Server::api_port() const { return impl_->api_acceptor->local_endpoint().port(); }
uint16_t Server::metrics_port() const {
  return impl_->metrics_acceptor->local_endpoint().port();
}

void Server::BeginDrain() {
  impl_->draining.store(true);
  for (auto* acc : {impl_->api_acceptor.get(), impl_->metrics_acceptor.get()}) {
    if (acc == nullptr) continue;
    asio::post(acc->get_executor(), [acc] {
      boost::system::error_code ec;
      acc->close(ec);
    });
  }
  std::lock_guard lock(impl_->connections_mu);
  for (const auto& conn : impl_->open) {
    asio::post(conn->socket.get_executor(), [conn] {
      boost::system::error_code ignored;
      if (conn->idle.load()) conn->socket.cancel(ignored);
    });
  }
}

bool Server::draining() const { return impl_->draining.load(); }

bool Server::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  while (impl_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Server::Stop() {
  if (impl_->ioc) impl_->ioc->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace astraguard::http
