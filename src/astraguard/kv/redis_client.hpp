#pragma once
// RedisClient: a small blocking Redis client over hiredis 0.14 for the shared-state stores.
//
// ParseRedisUrl reads `redis://[[user]:password@]host[:port][/db]` (port 6379 and db 0 by
// default); `rediss://` (TLS) is refused with a message saying so, since hiredis 0.14 has no TLS.
//
// Every call borrows a connection from a pool (at most `pool_size` open; a caller beyond that
// opens a short-lived extra one rather than wait), sends its command(s) and reads the replies
// with `timeout` as the budget of each socket operation (connect, write, read): a caller never
// waits on Redis longer than that per round trip. A connection that saw any error (refused,
// timeout, protocol) is closed; the next call reconnects (AUTH and SELECT again). A call that
// finds its pooled connection closed by the server (Redis restarted) closes every idle one and
// is sent once more on a fresh connection (never after a timeout). After a failed
// connect, calls within `reconnect_interval` fail at once with the last error instead of trying
// again (no connect storm while Redis is down).
//
// Errors are values: transport failures and timeouts are kUnavailable (message: what failed);
// a Redis error reply (e.g. NOSCRIPT, WRONGTYPE) is kInternal with Redis's message.
//
// Resilience (both optional, null = none): every call goes through `breaker` (an open breaker
// fails the call at once as kUnavailable; kUnavailable outcomes count as its failures, anything
// else as successes), and reads `faults`: redis_outage fails the call as unreachable,
// redis_latency_ms is added before it (a latency at or above the budget is a timeout).
//
// Thread-safe: all methods may be called concurrently. The breaker and the switches must
// outlive the client.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "astraguard/common/status.hpp"
#include "astraguard/resilience/circuit_breaker.hpp"
#include "astraguard/resilience/fault_switches.hpp"

struct redisContext;

namespace astraguard::kv {

struct RedisEndpoint {
  std::string host = "localhost";
  uint16_t port = 6379;
  std::string user;      // empty: AUTH with the password alone (Redis < 6 style)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT on connect when not 0
};

// kInvalidArgument naming what is wrong (scheme, port, db, ...).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds timeout{50};  // budget per socket operation
  size_t pool_size = 8;                   // idle connections kept
  std::chrono::milliseconds reconnect_interval{100};
};

// One reply. Nil is a missing key/field; Array holds nested replies.
struct Reply {
  enum class Type { kNil, kInteger, kString, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // bulk or status string
  std::vector<Reply> elements;
  bool nil() const { return type == Type::kNil; }
};

using Command = std::vector<std::string>;

class RedisClient final {
 public:
  explicit RedisClient(RedisOptions options, resilience::CircuitBreaker* breaker = nullptr,
                       const resilience::FaultSwitches* faults = nullptr);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  Result<Reply> Run(const Command& cmd);
  // Sends every command, then reads every reply (one round trip). Any error reply fails the call.
  Result<std::vector<Reply>> Pipeline(const std::vector<Command>& cmds);

  const RedisOptions& options() const { return options_; }

 private:
  Result<std::vector<Reply>> Call(const std::vector<Command>& cmds);
  // A connected context (`*reused`: taken from the idle pool), or kUnavailable.
  Result<redisContext*> Acquire(bool* reused);
  void DropIdle();
  void Release(redisContext* c, bool healthy);

  const RedisOptions options_;
  resilience::CircuitBreaker* const breaker_;
  const resilience::FaultSwitches* const faults_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;  // guarded by mu_
  std::chrono::steady_clock::time_point last_connect_failure_{};  // guarded by mu_
  std::string last_connect_error_;                                // guarded by mu_
};

}  // namespace astraguard::kv
