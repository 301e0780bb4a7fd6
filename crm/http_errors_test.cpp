#include "crm/http_errors.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(HttpErrorsTest, HttpDates) {
  auto t = ParseHttpDate("Mon, 30 Nov 2026 12:31:59 GMT");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(),
            1796041919);
  EXPECT_FALSE(ParseHttpDate("Mon, 30 Nov 2026 12:31:59 UTC").has_value());
  EXPECT_FALSE(ParseHttpDate("Mon, 31 Nov 2026 12:31:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Monday, 30-Nov-26 12:31:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("").has_value());
}

TEST(HttpErrorsTest, CurlCodes) {
  struct Case {
    CURLcode curl;
    StatusCode want;
    bool not_sent;
  };
  for (const Case& c : std::vector<Case>{
           {CURLE_OPERATION_TIMEDOUT, StatusCode::kDeadlineExceeded, false},
           {CURLE_COULDNT_CONNECT, StatusCode::kUnavailable, true},
           {CURLE_COULDNT_RESOLVE_HOST, StatusCode::kUnavailable, true},
           {CURLE_GOT_NOTHING, StatusCode::kUnavailable, false},
           {CURLE_RECV_ERROR, StatusCode::kUnavailable, false},
           {CURLE_SEND_ERROR, StatusCode::kUnavailable, false},
           {CURLE_PARTIAL_FILE, StatusCode::kUnavailable, false},
           {CURLE_PEER_FAILED_VERIFICATION, StatusCode::kFailedPrecondition, false},
           {CURLE_UNSUPPORTED_PROTOCOL, StatusCode::kInvalidArgument, true},
           {CURLE_OK, StatusCode::kOk, false},
       }) {
    Status s = StatusFromCurlCode(c.curl, "", "GET https://h/x");
    EXPECT_EQ(s.code(), c.want) << c.curl;
    EXPECT_EQ(NotSent(s), c.not_sent) << c.curl;
  }
}

TEST(HttpErrorsTest, HttpStatusesAndZohoCodes) {
  struct Case {
    int http;
    const char* body;
    StatusCode want;
  };
  for (const Case& c : std::vector<Case>{
           {200, R"({"data":[]})", StatusCode::kOk},
           {201, "", StatusCode::kOk},
           {204, "", StatusCode::kOk},
           {304, "", StatusCode::kOk},
           {429, R"({"code":"TOO_MANY_REQUESTS","status":"error"})",
            StatusCode::kResourceExhausted},
           {500, R"({"code":"INTERNAL_ERROR"})", StatusCode::kUnavailable},
           {502, "<html>bad gateway</html>", StatusCode::kUnavailable},
           {503, "", StatusCode::kUnavailable},
           {401, R"({"code":"INVALID_TOKEN","message":"invalid oauth token"})",
            StatusCode::kUnauthenticated},
           {401, R"({"code":"OAUTH_SCOPE_MISMATCH"})", StatusCode::kPermissionDenied},
           {403, R"({"code":"NO_PERMISSION"})", StatusCode::kPermissionDenied},
           {403, "", StatusCode::kPermissionDenied},
           {400, R"({"code":"INVALID_MODULE"})", StatusCode::kFailedPrecondition},
           {404, R"({"code":"INVALID_URL_PATTERN"})", StatusCode::kFailedPrecondition},
           {400, R"({"code":"REQUIRED_PARAM_MISSING"})", StatusCode::kFailedPrecondition},
           {400, R"({"code":"DISCRETE_PAGINATION_LIMIT_EXCEEDED"})", StatusCode::kOutOfRange},
           {400, R"({"code":"SYNTAX_ERROR"})", StatusCode::kInvalidArgument},
           {412, R"({"code":"SOMETHING"})", StatusCode::kAborted},
       }) {
    Status s = ResponseStatus(Reply(c.http, c.body), false, "GET /crm/v8/Leads");
    EXPECT_EQ(s.code(), c.want) << c.http << " " << c.body;
    if (!s.ok()) {
      EXPECT_EQ(s.GetPayload("http_status"), std::to_string(c.http));
    }
  }
}

TEST(HttpErrorsTest, PerRecordReplyIsAnAnswer) {
  const char* body = R"({"data":[{"code":"INVALID_DATA","status":"error"}]})";
  EXPECT_THAT(ResponseStatus(Reply(400, body), true, "POST /x"), IsOk());
  EXPECT_THAT(ResponseStatus(Reply(412, body), true, "PUT /x"), IsOk());
  EXPECT_THAT(ResponseStatus(Reply(400, body), false, "POST /x"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(HttpErrorsTest, RetryAfterFromHeaderOrDetails) {
  HttpResponse r = Reply(429, R"({"code":"TOO_MANY_REQUESTS"})");
  r.headers.emplace_back("retry-after", "12");
  Status s = ResponseStatus(r, false, "GET /x");
  ASSERT_TRUE(RetryAfterOf(s).has_value());
  EXPECT_EQ(*RetryAfterOf(s), std::chrono::seconds(12));
  s = ResponseStatus(Reply(429, R"({"code":"TOO_MANY_REQUESTS","details":{"retry_after":3}})"),
                     false, "GET /x");
  EXPECT_EQ(RetryAfterOf(s), std::chrono::milliseconds(3000));
  EXPECT_FALSE(RetryAfterOf(ResponseStatus(Reply(429, ""), false, "GET /x")).has_value());
}

TEST(HttpErrorsTest, RecordErrorsCarryTheField) {
  struct Case {
    const char* item;
    StatusCode want;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"code":"INVALID_DATA","details":{"api_name":"Email","json_path":"$.data[0].Email"},"message":"invalid data","status":"error"})",
            StatusCode::kInvalidArgument, "Email"},
           {R"({"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name"},"status":"error"})",
            StatusCode::kInvalidArgument, "Last_Name"},
           {R"({"code":"DUPLICATE_DATA","details":{"api_name":"ERP_Id","duplicate_record":{"id":"42"}},"status":"error"})",
            StatusCode::kInvalidArgument, "ERP_Id"},
           {R"({"code":"ALREADY_MODIFIED","details":{"id":"1","Modified_Time":"2026-01-01T00:00:00+05:30"},"status":"error"})",
            StatusCode::kAborted, ""},
           {R"({"code":"RECORD_LOCKED","details":{},"status":"error"})", StatusCode::kUnavailable,
            ""},
           {R"({"code":"SUCCESS","details":{"id":"1"},"status":"success"})", StatusCode::kOk, ""},
       }) {
    Result<JsonValue> item = ParseJson(c.item);
    ASSERT_TRUE(item.has_value());
    Status s = RecordStatus(*item, 207);
    EXPECT_EQ(s.code(), c.want) << c.item;
    if (*c.field != '\0') {
      EXPECT_EQ(s.GetPayload("field"), std::string(c.field));
      EXPECT_THAT(s.message(), ::testing::HasSubstr(c.field));
    }
  }
  Result<JsonValue> dup = ParseJson(
      R"({"code":"DUPLICATE_DATA","details":{"api_name":"ERP_Id","duplicate_record":{"id":"42"}},"status":"error"})");
  EXPECT_EQ(RecordStatus(*dup, 400).GetPayload("duplicate_id"), "42");
  Result<JsonValue> mod = ParseJson(
      R"({"code":"ALREADY_MODIFIED","details":{"Modified_Time":"T"},"status":"error"})");
  EXPECT_EQ(RecordStatus(*mod, 412).GetPayload("modified_time"), "T");
}

}  // namespace
}  // namespace zcrmsync::crm
