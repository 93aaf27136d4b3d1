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

#include <algorithm>
#include <atomic>
#include <cassert>
#include <utility>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "astraguard/http/framing.hpp"
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

// The first accept retry after a failure (EMFILE, ENFILE, ENOBUFS ...) and the longest wait:
// retrying at once would spin a core while no descriptor is free.
constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(10);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(500);

}  // namespace

struct Server::Impl {
  Impl(const ServerOptions& c, Handler h, obs::Metrics& m, obs::RouteMetrics& r)
      : config(c), handler(std::move(h)), metrics(m), rejected(r) {}

  ServerOptions config;
  Handler handler;
  obs::Metrics& metrics;
  obs::RouteMetrics& rejected;
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
  std::unique_ptr<tcp::acceptor> api_acceptor;
  std::unique_ptr<tcp::acceptor> metrics_acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  FdLimitFit fd_limit;
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> admitted{0};  // API requests in progress that passed admission
  std::atomic<uint64_t> shed{0};
  std::atomic<int64_t> api_connections{0};
  std::atomic<int64_t> metrics_connections{0};
  std::mutex connections_mu;  // taken on connect, disconnect, sweep and drain; never per request
  std::list<std::shared_ptr<Connection>> open;

  // One open connection: counted against its listener's cap (`counter`; null for a connection
  // being refused over the cap) and tracked for the sweeper and drain from accept until the
  // session ends by any path (return, exception, or the io_context destroying the suspended
  // session at shutdown), then closed, untracked and uncounted.
  class Slot {
   public:
    Slot(Impl& impl, std::shared_ptr<Connection> conn, std::atomic<int64_t>* counter)
        : impl_(&impl), conn_(std::move(conn)), counter_(counter) {
      if (counter_ != nullptr) counter_->fetch_add(1);
      impl_->metrics.active_connections().Increment();
      std::lock_guard lock(impl_->connections_mu);
      self_ = impl_->open.insert(impl_->open.end(), conn_);
    }
    Slot(Slot&& other) noexcept
        : impl_(std::exchange(other.impl_, nullptr)),
          conn_(std::move(other.conn_)),
          counter_(other.counter_),
          self_(other.self_) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (impl_ == nullptr) return;
      conn_->Disarm();
      boost::system::error_code ignored;
      conn_->socket.close(ignored);
      {
        std::lock_guard lock(impl_->connections_mu);
        impl_->open.erase(self_);
      }
      impl_->metrics.active_connections().Decrement();
      if (counter_ != nullptr) counter_->fetch_sub(1);
    }
    Connection& conn() const { return *conn_; }

   private:
    Impl* impl_;
    std::shared_ptr<Connection> conn_;
    std::atomic<int64_t>* counter_;
    std::list<std::shared_ptr<Connection>>::iterator self_;
  };

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
    std::atomic<int64_t>& counter = metrics_only ? metrics_connections : api_connections;
    const auto cap = static_cast<int64_t>(metrics_only ? config.max_metrics_connections
                                                       : config.max_connections);
    asio::steady_timer backoff_timer(acceptor.get_executor());
    auto backoff = kAcceptBackoffMin;
    while (!draining.load()) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(*ioc), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || draining.load()) break;
        // Out of descriptors or buffers: the pending connection stays in the backlog. Keep
        // serving the connections we have and try again once some may have closed.
        backoff_timer.expires_after(backoff);
        co_await backoff_timer.async_wait(kTuple);
        backoff = std::min(backoff * 2, kAcceptBackoffMax);
        continue;
      }
      backoff = kAcceptBackoffMin;
      socket.set_option(tcp::no_delay(true), ec);
      auto conn = std::make_shared<Connection>(std::move(socket));
      if (counter.load() >= cap) {
        asio::co_spawn(conn->socket.get_executor(), RefuseOverCapacity(conn), kSwallow);
        continue;
      }
      Slot slot(*this, conn, &counter);
      asio::co_spawn(conn->socket.get_executor(), Session(std::move(slot), metrics_only),
                     kSwallow);
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
        // The deadline stays armed: until the session re-arms or disarms it, every sweep
        // cancels or closes again, so an operation started after this one cannot escape it.
        asio::post(conn->socket.get_executor(), [conn, d] {
          if (conn->deadline_ns.load() != d) return;  // re-armed meanwhile
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

  // Refused connections are tracked (so that the sweeper enforces the write deadline) but
  // counted apart from the cap they exceed.
  asio::awaitable<void> RefuseOverCapacity(std::shared_ptr<Connection> conn) {
    Slot slot(*this, conn, nullptr);
    conn->Arm(std::chrono::seconds(1));
    Response res;
    WriteProblem(503, "too many open connections; retry later", res);
    res.headers.emplace_back("Retry-After", "1");
    co_await Write(conn->socket, res, false);
    boost::system::error_code ec;
    conn->socket.shutdown(tcp::socket::shutdown_both, ec);
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

  // Serializes the response head directly (status line, Content-Type, Content-Length (none for
  // a 204), extra headers, Connection) and writes head and body in one gather write: cheaper than
  // building a Beast message, whose generic field container dominated the cost of a small response.
  // Header names and values come from our own code, never from the client.
  // `http10`: the request was HTTP/1.0, whose keep-alive must be confirmed explicitly.
  // `head_only`: a HEAD request; Content-Length is the body's but the body is not sent.
  // Returns the body bytes sent, or an error when the write failed (the caller closes).
  asio::awaitable<Result<size_t>> Write(tcp::socket& socket, Response& res, bool keep_alive,
                                        bool http10 = false, bool head_only = false) {
    std::string head;
    head.reserve(256);
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    if (res.status == 204) {  // RFC 9110 8.6: no Content-Length (and no content) in a 204
      res.body.clear();
      fmt::format_to(std::back_inserter(head), "HTTP/1.1 204 {}\r\n",
                     std::string_view(reason.data(), reason.size()));
    } else {
      fmt::format_to(std::back_inserter(head),
                     "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", res.status,
                     std::string_view(reason.data(), reason.size()), res.content_type,
                     res.body.size());
    }
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
    const size_t body_bytes = head_only ? 0 : res.body.size();
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                    asio::buffer(res.body.data(), body_bytes)};
    auto [ec, n] = co_await asio::async_write(socket, buffers, kTuple);
    if (ec) co_return Status::Error(Code::kUnavailable, ec.message());
    co_return body_bytes;
  }


  // Answers a protocol-level failure; the caller then closes the connection.
  asio::awaitable<void> Reject(Connection& conn, int status, std::string_view detail,
                               std::chrono::steady_clock::time_point start) {
    Response res;
    WriteProblem(status, detail, res);
    conn.reading.store(false);
    conn.Arm(std::chrono::seconds(2));
    auto written = co_await Write(conn.socket, res, false);
    rejected.Observe(status, Seconds(start), 0, written.ok() ? *written : 0);
    if (!written.ok()) co_return;
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

  asio::awaitable<void> Session(Slot slot, bool metrics_only) {
    Connection* conn = &slot.conn();
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
      // Admission when the request starts: past max_in_flight admitted API requests it is read
      // and answered 503 without running the handler; it takes no admission slot.
      const bool shed_this =
          !metrics_only && admitted.fetch_add(1) >= static_cast<int64_t>(config.max_in_flight);
      struct Admitted {
        std::atomic<int64_t>* n;
        ~Admitted() {
          if (n) n->fetch_sub(1);
        }
      } admission{metrics_only ? nullptr : &admitted};
      if (shed_this) {
        admitted.fetch_sub(1);
        admission.n = nullptr;
      }
      const auto start = std::chrono::steady_clock::now();

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(config.max_header_bytes));
      parser.body_limit(config.max_body_bytes);
      conn->timed_out = false;
      conn->reading.store(true);
      conn->Arm(config.read_timeout);  // covers the head, any 100 Continue and the body
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
      if (auto [status, detail] = FramingError(parser.get()); status != 0) {
        co_await Reject(*conn, status, detail, start);
        break;
      }
      if (bhttp::token_list(Header(parser.get(), bhttp::field::expect)).exists("100-continue")) {
        bhttp::response<bhttp::empty_body> cont(bhttp::status::continue_, 11);
        auto [cec, cn] = co_await bhttp::async_write(socket, cont, kTuple);
        if (cec) break;  // timed out or reset while the client would not read
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
      req.x_api_key = Header(msg, "X-API-Key");
      req.origin = Header(msg, bhttp::field::origin);
      req.access_control_request_method = Header(msg, bhttp::field::access_control_request_method);
      req.client_address = client;
      req.local_port = local_port;
      req.metrics_listener = metrics_only;
      Response res;
      if (shed_this) {
        shed.fetch_add(1, std::memory_order_relaxed);
        WriteProblem(503, "server overloaded; retry later", res);
        res.headers.emplace_back("Retry-After", "1");
      } else {
        try {
          handler(req, res);
        } catch (...) {
          res = Response();
          WriteProblem(500, "internal error while handling the request", res);
        }
      }
      const bool keep_alive = msg.keep_alive() && !draining.load();
      conn->Arm(config.read_timeout);
      auto written = co_await Write(socket, res, keep_alive, msg.version() == 10,
                                    msg.method() == bhttp::verb::head);
      conn->Disarm();
      if (!written.ok()) break;
      if (!keep_alive) {
        socket.shutdown(tcp::socket::shutdown_send, ec);
        break;
      }
    }
  }
};

Server::Server(const ServerOptions& config, Handler handler, obs::Metrics& metrics,
               obs::RouteMetrics& rejected)
    : impl_(std::make_unique<Impl>(config, std::move(handler), metrics, rejected)) {}

Server::~Server() {
  Stop();
  impl_->api_acceptor.reset();
  impl_->metrics_acceptor.reset();
  // Destroys the suspended sessions, whose Slots close and untrack their sockets while the
  // socket service still exists; nothing may hold a socket past this line.
  impl_->ioc.reset();
  assert(impl_->open.empty());
}

Status Server::Start() {
  impl_->fd_limit = FitConnectionsToFdLimit(impl_->config.max_connections,
                                            impl_->config.max_metrics_connections);
  impl_->config.max_connections = impl_->fd_limit.max_connections;
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

const FdLimitFit& Server::fd_limit() const { return impl_->fd_limit; }

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

int64_t Server::in_flight() const { return impl_->in_flight.load(); }

uint64_t Server::shed_total() const { return impl_->shed.load(std::memory_order_relaxed); }

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
