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

  add("POST", "/api/v1/telemetry", http::Role::kOperator,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        // The response tree is short-lived: allocate it from the stack, not the heap.
        unsigned char buffer[8192];
        json::monotonic_resource mr(buffer, sizeof(buffer));
        Reply(svc->AssessOne(req.body, &mr), res);
      });

  add("GET", "/api/v1/phase", http::Role::kViewer,
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(svc->GetPhase(), res);
      });

  add("POST", "/api/v1/phase", http::Role::kAdmin,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->SetPhase(req.body), res);
      });

  add("GET", "/api/v1/recovery/actions", http::Role::kViewer,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        Reply(svc->RecoveryActions(req.query()), res);
      });

  add("GET", "/api/v1/history/anomalies", http::Role::kViewer,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        Reply(svc->History(req.query()), res);
      });

  add("GET", "/api/v1/anomalies/{id}", http::Role::kViewer,
      [svc](const http::Request&, const http::PathParams& p, http::Response& res) {
        Reply(svc->GetAnomaly(p.Get("id")), res);
      });

  add("POST", "/api/v1/anomalies/{id}/feedback", http::Role::kOperator,
      [svc](const http::Request& req, const http::PathParams& p, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->SubmitFeedback(p.Get("id"), req.body), res);
      });

  add("GET", "/api/v1/status", http::Role::kViewer,
      [svc](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(svc->GetStatus(), res);
      });

  add("GET", "/api/v1/satellites", http::Role::kViewer,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        Reply(svc->Satellites(req.query()), res);
      });

  add("POST", "/api/v1/telemetry/batch", http::Role::kOperator,
      [svc](const http::Request& req, const http::PathParams&, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(svc->AssessBatch(req.body), res);
      });
}

void RegisterChaosRoutes(const AddRoute& add, chaos::Chaos& chaos) {
  chaos::Chaos* c = &chaos;
  add("GET", "/api/v1/chaos", http::Role::kAdmin,
      [c](const http::Request&, const http::PathParams&, http::Response& res) {
        http::WriteJson(c->List(), res);
      });
  add("POST", "/api/v1/chaos/{fault}", http::Role::kAdmin,
      [c](const http::Request& req, const http::PathParams& p, http::Response& res) {
        if (!http::RequireJson(req, res)) return;
        Reply(c->Inject(p.Get("fault"), req.body), res);
      });
  add("DELETE", "/api/v1/chaos/{fault}", http::Role::kAdmin,
      [c](const http::Request&, const http::PathParams& p, http::Response& res) {
        Reply(c->Clear(p.Get("fault")), res);
      });
}

}  // namespace astraguard::app
