#include "astraguard/app/routes.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include "astraguard/http/json_response.hpp"
#include "astraguard/http/problem.hpp"

namespace astraguard::app {
namespace {

namespace json = boost::json;

// Takes the result by value so that the tree is moved, not copied, into the json::value that
// WriteJson renders (a copy would also leave the request's stack buffer for the heap).
void Reply(Result<json::object> result, http::Response& res) {
  if (!result.ok()) return http::WriteProblem(result.status(), res);
  http::WriteJson(json::value(std::move(*result)), res);
}

}  // namespace

void RegisterApiRoutes(const AddRoute& add, service::TelemetryService& service) {
  service::TelemetryService* svc = &service;

  add("POST", "/api/v1/telemetry",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        // The response tree is short-lived: allocate it from the stack, not the heap.
        unsigned char buffer[8192];
        json::monotonic_resource mr(buffer, sizeof(buffer));
        Reply(svc->AssessOne(req.body, &mr), res);
      });

  add("GET", "/api/v1/phase",
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(svc->GetPhase(), res);
      });

  add("POST", "/api/v1/phase",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->SetPhase(req.body), res);
      });

  add("GET", "/api/v1/recovery/actions",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        Reply(svc->RecoveryActions(req.query()), res);
      });

  add("GET", "/api/v1/history/anomalies",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        Reply(svc->History(req.query()), res);
      });

  add("GET", "/api/v1/anomalies/{id}",
      [svc](const http::Request&, const http::PathParams& p, http::Response& res) {
        Reply(svc->GetAnomaly(p.Get("id")), res);
      });

  add("POST", "/api/v1/anomalies/{id}/feedback",
      [svc](const http::Request& req, const http::PathParams& p, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->SubmitFeedback(p.Get("id"), req.body), res);
      });

  add("GET", "/api/v1/status",
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(svc->GetStatus(), res);
      });

  add("POST", "/api/v1/telemetry/batch",
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->AssessBatch(req.body), res);
      });
}

void RegisterChaosRoutes(const AddRoute& add, chaos::Chaos& chaos) {
  chaos::Chaos* c = &chaos;
  add("GET", "/api/v1/chaos",
      [c](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(c->List(), res);
      });
  add("POST", "/api/v1/chaos/{fault}",
      [c](const http::Request& req, const http::PathParams& p, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(c->Inject(p.Get("fault"), req.body), res);
      });
  add("DELETE", "/api/v1/chaos/{fault}",
      [c](const http::Request&, const http::PathParams& p, http::Response& res) {
        Reply(c->Clear(p.Get("fault")), res);
      });
}

}  // namespace astraguard::app
