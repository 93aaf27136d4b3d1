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

TEST(WriteProblemTest, ListsAtMostTheCapAndCountsTheRest) {
  std::vector<FieldError> fields;
  for (int i = 0; i < 60000; ++i)
    fields.push_back({std::string("k").append(std::to_string(i)), "unknown field"});
  Response res;
  WriteProblem(Status::Error(Code::kValidation, "unknown fields", std::move(fields)), res);
  EXPECT_EQ(res.status, 422);
  EXPECT_LT(res.body.size(), 4096u);
  auto o = boost::json::parse(res.body).as_object();
  EXPECT_EQ(o.at("errors").as_array().size(), kMaxListedErrors);
  EXPECT_EQ(o.at("errors").as_array()[0].as_object().at("field").as_string(), "k0");
  EXPECT_EQ(o.at("errors_not_listed").as_int64(), 60000 - static_cast<int64_t>(kMaxListedErrors));
}

TEST(WriteProblemTest, CountsTheFieldsADecoderDidNotKeep) {
  Response res;
  WriteProblem(Status::Error(Code::kValidation, "25 fields are invalid",
                             {{"k0", "unknown field"}, {"k1", "unknown field"}}, 23),
               res);
  auto o = boost::json::parse(res.body).as_object();
  EXPECT_EQ(o.at("errors").as_array().size(), 2u);
  EXPECT_EQ(o.at("errors_not_listed").as_int64(), 23);
}

TEST(WriteProblemTest, FewErrorsAreAllListedWithoutACount) {
  Response res;
  WriteProblem(Status::Error(Code::kValidation, "bad", {{"voltage", "out of range"}}), res);
  auto o = boost::json::parse(res.body).as_object();
  EXPECT_EQ(o.at("errors").as_array().size(), 1u);
  EXPECT_FALSE(o.contains("errors_not_listed"));
}

TEST(WriteProblemTest, NotImplementedHasItsOwnKind) {
  Response res;
  WriteProblem(501, "transfer coding 'gzip' is not supported", res);
  EXPECT_EQ(res.status, 501);
  EXPECT_NE(res.body.find("not-implemented"), std::string::npos);
}

}  // namespace
}  // namespace astraguard::http
