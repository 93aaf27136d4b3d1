#include "astraguard/kv/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <thread>
#include <sys/time.h>

namespace astraguard::kv {
namespace {

Status BadUrl(std::string msg) { return Status::Error(Code::kInvalidArgument, std::move(msg)); }

template <typename T>
bool ParseNumber(std::string_view s, T lo, T hi, T& out) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) {
    return false;
  }
  out = v;
  return true;
}

// Percent-decodes a URL component; false on a malformed escape.
bool Decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= in.size()) return false;
    auto [end, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc() || end != in.data() + i + 3) return false;
    out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Status Unavailable(const redisContext* c, std::string_view what) {
  std::string msg("redis ");
  msg.append(what).append(": ");
  msg.append(c && c->errstr[0] ? c->errstr : "connection error");
  return Status::Error(Code::kUnavailable, std::move(msg));
}

// Converts a hiredis reply; an error reply (anywhere) becomes kInternal.
Result<Reply> Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      return Status::Error(Code::kInternal, std::string("redis error: ").append(r->str, r->len));
    case REDIS_REPLY_NIL:
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      return out;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        auto e = Convert(r->element[i]);
        if (!e.ok()) return e.status();
        out.elements.push_back(std::move(*e));
      }
      return out;
    default:
      return Status::Error(Code::kInternal, "redis: unexpected reply type");
  }
}

void AppendArgv(redisContext* c, const Command& cmd) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(cmd.size());
  lens.reserve(cmd.size());
  for (const auto& a : cmd) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
}

// The connection failed because the server closed or reset it (not a timeout).
bool IsClosedByPeer(const redisContext* c) {
  if (c->err == REDIS_ERR_EOF) return true;
  if (c->err != REDIS_ERR_IO) return false;
  const std::string_view msg(c->errstr);
  return msg.find("reset") != std::string_view::npos || msg.find("Broken pipe") != std::string_view::npos;
}

// Reads one reply; kUnavailable on a transport error or timeout.
Result<Reply> ReadReply(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return Unavailable(c, "read");
  auto r = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return r;
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  if (url.starts_with("rediss://")) {
    return BadUrl("rediss:// (TLS) is not supported: hiredis 0.14 has no TLS; use redis://");
  }
  if (!url.starts_with("redis://")) return BadUrl("must start with redis://");
  std::string_view rest = url.substr(8);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return BadUrl("query strings and fragments are not supported");
  }
  RedisEndpoint ep;
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return BadUrl("credentials must be user:password or :password");
    }
    if (!Decode(userinfo.substr(0, colon), ep.user) ||
        !Decode(userinfo.substr(colon + 1), ep.password)) {
      return BadUrl("malformed percent-escape in the credentials");
    }
  }
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return BadUrl("unterminated [IPv6] host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl("expected :port after the [IPv6] host");
      port = after.substr(1);
      if (port.empty()) return BadUrl("empty port");
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return BadUrl("empty port");
  }
  if (host.empty()) return BadUrl("missing host");
  ep.host = std::string(host);
  if (!port.empty() && !ParseNumber<uint16_t>(port, 1, 65535, ep.port)) {
    return BadUrl(std::string("port must be 1-65535, got '").append(port).append("'"));
  }
  if (!path.empty() && !ParseNumber<int>(path, 0, 1'000'000, ep.db)) {
    return BadUrl(std::string("db must be a non-negative integer, got '").append(path).append("'"));
  }
  return ep;
}

RedisClient::RedisClient(RedisOptions options, resilience::CircuitBreaker* breaker,
                         const resilience::FaultSwitches* faults)
    : options_(std::move(options)), breaker_(breaker), faults_(faults) {}

RedisClient::~RedisClient() {
  for (redisContext* c : idle_) redisFree(c);
}

Result<redisContext*> RedisClient::Acquire(bool* reused) {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      *reused = true;
      return c;
    }
    if (std::chrono::steady_clock::now() - last_connect_failure_ < options_.reconnect_interval) {
      return Status::Error(Code::kUnavailable, last_connect_error_);
    }
  }
  const timeval tv = ToTimeval(options_.timeout);
  redisContext* c = redisConnectWithTimeout(options_.endpoint.host.c_str(),
                                            options_.endpoint.port, tv);
  Status st;
  if (c == nullptr || c->err) {
    st = Unavailable(c, "connect");
  } else if (redisSetTimeout(c, tv) != REDIS_OK) {
    st = Unavailable(c, "set timeout");
  } else {
    std::vector<Command> setup;
    if (!options_.endpoint.password.empty()) {
      setup.push_back(options_.endpoint.user.empty()
                          ? Command{"AUTH", options_.endpoint.password}
                          : Command{"AUTH", options_.endpoint.user, options_.endpoint.password});
    }
    if (options_.endpoint.db != 0) setup.push_back({"SELECT", std::to_string(options_.endpoint.db)});
    for (const auto& cmd : setup) AppendArgv(c, cmd);
    for (size_t i = 0; i < setup.size() && st.ok(); ++i) {
      auto r = ReadReply(c);
      if (!r.ok()) st = Status::Error(Code::kUnavailable, r.status().message());
    }
  }
  if (!st.ok()) {
    if (c) redisFree(c);
    std::lock_guard lock(mu_);
    last_connect_failure_ = std::chrono::steady_clock::now();
    last_connect_error_ = st.message();
    return st;
  }
  return c;
}

void RedisClient::Release(redisContext* c, bool healthy) {
  if (healthy && c->err == 0) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.pool_size) {
      idle_.push_back(c);
      return;
    }
  }
  redisFree(c);
}

Result<Reply> RedisClient::Run(const Command& cmd) {
  auto r = Pipeline({cmd});
  if (!r.ok()) return r.status();
  return std::move(r->front());
}

Result<std::vector<Reply>> RedisClient::Pipeline(const std::vector<Command>& cmds) {
  if (breaker_ && !breaker_->Allow()) {
    return Status::Error(Code::kUnavailable,
                         std::string("redis circuit breaker open (last error: ")
                             .append(breaker_->last_error())
                             .append(")"));
  }
  auto r = Call(cmds);
  if (breaker_) {
    if (!r.ok() && r.status().code() == Code::kUnavailable) {
      breaker_->RecordFailure(r.status().message());
    } else {
      breaker_->RecordSuccess();
    }
  }
  return r;
}

Result<std::vector<Reply>> RedisClient::Call(const std::vector<Command>& cmds) {
  if (faults_) {
    if (faults_->redis_outage.load(std::memory_order_relaxed)) {
      return Status::Error(Code::kUnavailable, "redis unreachable (chaos: redis_outage)");
    }
    const auto latency =
        std::chrono::milliseconds(faults_->redis_latency_ms.load(std::memory_order_relaxed));
    if (latency.count() > 0) {
      std::this_thread::sleep_for(std::min(latency, options_.timeout));
      if (latency >= options_.timeout) {
        return Status::Error(Code::kUnavailable,
                             std::string("redis timeout after ")
                                 .append(std::to_string(options_.timeout.count()))
                                 .append(" ms (chaos: redis_latency)"));
      }
    }
  }
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto c = Acquire(&reused);
    if (!c.ok()) return c.status();
    for (const auto& cmd : cmds) AppendArgv(*c, cmd);
    std::vector<Reply> out;
    out.reserve(cmds.size());
    Status first_error;
    bool transport_ok = true;
    for (size_t i = 0; i < cmds.size(); ++i) {
      auto r = ReadReply(*c);
      if (!r.ok()) {
        if (r.status().code() == Code::kUnavailable) {
          transport_ok = false;
          first_error = r.status();
          break;
        }
        if (first_error.ok()) first_error = r.status();  // keep reading: the stream stays in sync
        continue;
      }
      out.push_back(std::move(*r));
    }
    // An idle pooled connection the server closed (Redis restarted, or dropped idle clients):
    // the server never got these commands. Drop the other idle ones, which share its fate, and
    // try once more on a fresh connection. Timeouts are never retried.
    const bool stale = !transport_ok && reused && attempt == 0 && IsClosedByPeer(*c);
    Release(*c, transport_ok);
    if (stale) {
      DropIdle();
      continue;
    }
    if (!first_error.ok()) return first_error;
    return out;
  }
}

void RedisClient::DropIdle() {
  std::vector<redisContext*> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
  }
  for (redisContext* c : idle) redisFree(c);
}

}  // namespace astraguard::kv
