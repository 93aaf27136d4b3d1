// What access control adds to a request: Admit with a key (SHA-256 of the key, constant-time
// comparison with every configured digest, the role check, a token from the key's bucket) and
// for an anonymous caller (a token from the address's bucket).
#include <benchmark/benchmark.h>

#include "astraguard/auth/access_control.hpp"

namespace astraguard::auth {
namespace {

AccessConfig Config(bool keys) {
  AccessConfig c;
  if (keys)
    c.auth.keys =
        *ParseKeyList("viewer:bench-viewer-key,operator:bench-operator-key,admin:bench-admin-key");
  c.rate_limits.fill(RateLimit{1e9, 1e9});
  return c;
}

void Run(benchmark::State& state, bool keys, const http::Request& req) {
  prometheus::Registry registry;
  LocalRateLimiter limiter;
  AccessControl ac(Config(keys), limiter, registry);
  for (auto _ : state) {
    http::Response res;
    Caller caller;
    bool ok = ac.Admit(req, http::Role::kOperator, "/api/v1/telemetry",
                       std::chrono::steady_clock::now(), res, caller);
    benchmark::DoNotOptimize(ok);
  }
}

void BM_AdmitWithKey(benchmark::State& state) {
  Run(state, true, {.authorization = "Bearer bench-operator-key", .client_address = "127.0.0.1"});
}
BENCHMARK(BM_AdmitWithKey);

void BM_AdmitAnonymous(benchmark::State& state) {
  Run(state, false, {.client_address = "127.0.0.1"});
}
BENCHMARK(BM_AdmitAnonymous);

}  // namespace
}  // namespace astraguard::auth

BENCHMARK_MAIN();
