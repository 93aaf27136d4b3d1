#include "astraguard/http/problem.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace astraguard::http {
namespace {

TEST(IsJsonContentTypeTest, AcceptsJsonWithParametersAnyCase) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("application/json ;charset=utf-8"));
}

TEST(IsJsonContentTypeTest, RejectsOtherTypes) {
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("application/problem+json"));
  EXPECT_FALSE(IsJsonContentType(" application/json"));
}

TEST(RequireJsonTest, JsonRequestPassesAndLeavesResponseAlone) {
  Request req;
  req.content_type = "application/json; charset=utf-8";
  Response res;
  res.status = 200;
  res.body = "untouched";
  EXPECT_TRUE(RequireJson(req, res));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "untouched");
}

TEST(RequireJsonTest, OtherContentTypeWrites415Problem) {
  Request req;
  req.content_type = "text/csv";
  Response res;
  EXPECT_FALSE(RequireJson(req, res));
  EXPECT_EQ(res.status, 415);
  EXPECT_EQ(res.content_type, "application/problem+json");
  auto doc = boost::json::parse(res.body).as_object();
  EXPECT_EQ(doc.at("status").as_int64(), 415);
  EXPECT_EQ(doc.at("detail").as_string(), "Content-Type must be application/json, got 'text/csv'");
  const auto& errors = doc.at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("field").as_string(), "Content-Type");
  EXPECT_EQ(errors[0].at("message").as_string(), "must be application/json");
}

TEST(RequireJsonTest, MissingContentTypeIsRejected) {
  Request req;
  Response res;
  EXPECT_FALSE(RequireJson(req, res));
  EXPECT_EQ(res.status, 415);
}

}  // namespace
}  // namespace astraguard::http
