#pragma once
// The API routes: thin adapters from HTTP to service::TelemetryService. Each one checks the
// transport (Content-Type for bodies), passes the body, query string or path parameter to the
// service and renders its result: the JSON body with 200, or the Status as an RFC 9457 problem
// (http/problem.hpp maps the code to 400/404/409/422). Endpoints and their semantics: see
// service/telemetry_service.hpp. The operational routes (/health*, /metrics) are in app.cpp.
//
// Thread-safety: handlers may run concurrently (the service is thread-safe).
// Lifetime: the service must outlive the router.

#include <functional>

#include "astraguard/chaos/chaos.hpp"
#include "astraguard/http/router.hpp"
#include "astraguard/service/telemetry_service.hpp"

namespace astraguard::app {

// Registers one route with the least role allowed to call it (and resolves its metric handles).
// Roles: viewer reads, operator sends telemetry and feedback, admin changes the mission phase,
// chaos and configuration.
using AddRoute = std::function<void(const char* method, const char* pattern, http::Role role,
                                    http::RouteHandler)>;

void RegisterApiRoutes(const AddRoute& add, service::TelemetryService& service);

// GET /api/v1/chaos, POST and DELETE /api/v1/chaos/{fault}: adapters to chaos::Chaos (see
// chaos/chaos.hpp for bodies and errors). `chaos` must outlive the router.
void RegisterChaosRoutes(const AddRoute& add, chaos::Chaos& chaos);

}  // namespace astraguard::app
