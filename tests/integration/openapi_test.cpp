// The OpenAPI document against the real binary: every example request in /openapi.json is sent
// to a fresh service, in document order, and must get the response the document gives for it.
// Convention: a response example named N (under status S) answers the request built from the
// request-body example N and the parameter examples N of the same operation; the shared
// `unauthenticated` example (components/responses/Unauthorized) is sent without a key, every
// other one with an admin key. The answer must have status S, the documented media type and, for
// JSON, the example's shape (within an operation, 4xx examples are sent first): the same keys, the
// same JSON kinds (null matches anything), and for problems the same type, status and named fields.

#include <gtest/gtest.h>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "astraguard/http/client/client.hpp"
#include "service_process.hpp"

namespace astraguard::testing {
namespace {

namespace json = boost::json;
const std::string kAdminKey = "openapi-test-admin-key-7Hq2";

const json::value* Resolve(const json::object& doc, const json::value* v) {
  while (v != nullptr && v->is_object() && v->as_object().contains("$ref")) {
    std::string ref(v->at("$ref").as_string());
    // Local references only: "#/components/<kind>/<name>".
    const json::value* cur = &doc.at(ref.substr(2, ref.find('/', 2) - 2));
    size_t pos = ref.find('/', 2);
    while (pos != std::string::npos) {
      const size_t next = ref.find('/', pos + 1);
      cur = &cur->at(ref.substr(pos + 1, next == std::string::npos ? next : next - pos - 1));
      pos = next;
    }
    v = cur;
  }
  return v;
}

const char* Kind(const json::value& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_bool()) return "boolean";
  if (v.is_null()) return "null";
  return "number";
}

void SameShape(const json::value& want, const json::value& got, const std::string& where,
               std::vector<std::string>& errors) {
  if (want.is_null() || got.is_null()) return;
  if (std::string_view(Kind(want)) != Kind(got)) {
    errors.push_back(where + ": documented " + Kind(want) + ", got " + Kind(got));
    return;
  }
  if (want.is_object()) {
    const auto& w = want.as_object();
    const auto& g = got.as_object();
    for (const auto& kv : w) {
      if (!g.contains(kv.key())) {
        errors.push_back(where + "." + std::string(kv.key()) + ": documented, missing");
      } else {
        SameShape(kv.value(), g.at(kv.key()), where + "." + std::string(kv.key()), errors);
      }
    }
    for (const auto& kv : g) {
      if (!w.contains(kv.key())) {
        errors.push_back(where + "." + std::string(kv.key()) + ": not documented");
      }
    }
  } else if (want.is_array()) {
    const auto& w = want.as_array();
    const auto& g = got.as_array();
    for (size_t i = 0; i < g.size() && !w.empty(); ++i) {
      SameShape(w[std::min(i, w.size() - 1)], g[i], where + "[" + std::to_string(i) + "]", errors);
    }
  }
}

std::string Text(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

TEST(OpenApiTest, EveryExampleRequestGetsItsDocumentedResponse) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_API_KEYS", "admin:" + kAdminKey}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto fetched = c.Send("GET", "/openapi.json");
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->status, 200);
  const json::object doc = json::parse(fetched->body).as_object();
  int exercised = 0;
  for (const auto& path_item : doc.at("paths").as_object()) {
    const std::string pattern(path_item.key());
    for (const auto& method_op : path_item.value().as_object()) {
      const std::string method = boost::algorithm::to_upper_copy(std::string(method_op.key()));
      const json::object& op = method_op.value().as_object();
      const json::array empty;
      const json::array& params =
          op.contains("parameters") ? op.at("parameters").as_array() : empty;
      const json::value* body_examples = nullptr;
      if (op.contains("requestBody")) {
        const json::value* rb = Resolve(doc, &op.at("requestBody"));
        body_examples =
            rb->at("content").at("application/json").as_object().if_contains("examples");
      }
      // Error examples first, so that they see the state before the success examples change it
      // (e.g. the 409 of a phase transition the 200 example would make allowed).
      std::vector<const json::key_value_pair*> ordered;
      for (const auto& sr : op.at("responses").as_object()) {
        if (sr.key().starts_with("4")) ordered.push_back(&sr);
      }
      for (const auto& sr : op.at("responses").as_object()) {
        if (!sr.key().starts_with("4")) ordered.push_back(&sr);
      }
      for (const json::key_value_pair* sr : ordered) {
        const json::key_value_pair& status_resp = *sr;
        const json::value* resp = Resolve(doc, &status_resp.value());
        const json::object* content =
            resp->as_object().contains("content") ? &resp->at("content").as_object() : nullptr;
        if (content == nullptr) continue;
        for (const auto& type_media : *content) {
          const json::object* examples = type_media.value().as_object().if_contains("examples")
                                             ? &type_media.value().at("examples").as_object()
                                             : nullptr;
          if (examples == nullptr) continue;
          for (const auto& name_ex : *examples) {
            const std::string name(name_ex.key());
            // The request: path and query parameters and the body of example `name` (else the
            // first example, for the shared unauthenticated case).
            std::string target = pattern, query;
            for (const auto& p0 : params) {
              const json::value* p = Resolve(doc, &p0);
              const json::object* pex =
                  p->as_object().if_contains("examples") ? &p->at("examples").as_object() : nullptr;
              const json::value* v = pex ? pex->if_contains(name) : nullptr;
              if (v == nullptr && pex && p->at("in") == "path") v = &pex->begin()->value();
              if (v == nullptr) continue;
              const std::string value = Text(Resolve(doc, v)->at("value"));
              const std::string pname(p->at("name").as_string());
              if (p->at("in") == "path") {
                target.replace(target.find("{" + pname + "}"), pname.size() + 2, value);
              } else {
                query += (query.empty() ? "?" : "&") + pname + "=" + value;
              }
            }
            std::string body;
            if (body_examples != nullptr) {
              const auto& bex = body_examples->as_object();
              const json::value* b = bex.if_contains(name);
              if (b == nullptr) b = &bex.begin()->value();
              body = json::serialize(Resolve(doc, b)->at("value"));
            }
            http::Headers headers;
            if (name != "unauthenticated")
              headers.push_back({"Authorization", "Bearer " + kAdminKey});
            const std::string what = method + " " + target + query + " example " + name;
            auto r = c.Send(method, target + query, body, "application/json", headers);
            ASSERT_TRUE(r.ok()) << what;
            ++exercised;
            EXPECT_EQ(std::to_string(r->status), std::string(status_resp.key()))
                << what << ": " << r->body;
            const std::string ctype = r->headers["content-type"];
            EXPECT_EQ(ctype.substr(0, ctype.find(';')), std::string(type_media.key())) << what;
            const json::value& want = Resolve(doc, &name_ex.value())->at("value");
            if (!want.is_object()) continue;
            boost::system::error_code ec;
            const json::value got = json::parse(r->body, ec);
            ASSERT_FALSE(ec) << what << ": " << r->body;
            std::vector<std::string> errors;
            SameShape(want, got, "body", errors);
            if (type_media.key() == "application/problem+json" && got.is_object()) {
              EXPECT_EQ(got.at("type"), want.at("type")) << what;
              EXPECT_EQ(got.at("status"), want.at("status")) << what;
              std::vector<std::string> want_fields, got_fields;
              for (const auto& e : want.at("errors").as_array())
                want_fields.push_back(Text(e.at("field")));
              for (const auto& e : got.at("errors").as_array())
                got_fields.push_back(Text(e.at("field")));
              EXPECT_EQ(got_fields, want_fields) << what << ": " << r->body;
            }
            for (const auto& e : errors) ADD_FAILURE() << what << ": " << e << "\n" << r->body;
          }
        }
      }
    }
  }
  EXPECT_GE(exercised, 25);
}

TEST(OpenApiTest, DocsPageIsServedWithItsRendererAndNoExternalAsset) {
  ServiceProcess svc({"serve"}, {{"ASTRAGUARD_API_KEYS", "admin:" + kAdminKey}});
  ASSERT_TRUE(svc.started()) << svc.output();
  http::HttpClient c("127.0.0.1", svc.api_port());
  auto r = c.Send("GET", "/docs");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("fetch(\"/openapi.json\")"), std::string::npos);
  for (const char* external : {"http://", "https://", "//cdn", "src=\""}) {
    EXPECT_EQ(r->body.find(external), std::string::npos) << external;
  }
}

}  // namespace
}  // namespace astraguard::testing
