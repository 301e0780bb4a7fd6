#include "crm/zoho_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "core/log.h"
#include "crm/testing/fake_transport.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::zcrmsync::testing::FakeClock;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;
using testing::FakeTransport;
using testing::JsonReply;

constexpr char kSecret[] = "client-secret-XYZ";
constexpr char kRefresh[] = "refresh-token-XYZ";

// A per-record success reply for a write body with n records.
std::string SuccessItems(size_t n, size_t first_id = 1) {
  std::string out = R"({"data":[)";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    out += R"({"code":"SUCCESS","status":"success","message":"record added","details":{"id":")" +
           std::to_string(first_id + i) + R"(","Modified_Time":"2026-01-01T00:00:00+05:30"}})";
  }
  return out + "]}";
}

size_t CountRecords(const std::string& body) {
  Result<JsonValue> json = ParseJson(body);
  if (!json.has_value()) return 0;
  const JsonValue* data = json->Find("data");
  return data != nullptr && data->is_array() ? data->as_array().size() : 0;
}

class ZohoClientTest : public ::testing::Test {
 protected:
  using ApiHandler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  void SetUp() override {
    transport_.set_handler([this](const HttpRequest& r) -> Result<HttpResponse> {
      if (r.url.find("/oauth/v2/token") != std::string::npos) {
        int n = ++tokens_;
        return JsonReply(200, R"({"access_token":"access-)" + std::to_string(n) +
                                  R"(","api_domain":"https://www.zohoapis.com","expires_in":3600})");
      }
      std::lock_guard<std::mutex> lock(mu_);
      return api_(r);
    });
  }
  void SetApi(ApiHandler h) {
    std::lock_guard<std::mutex> lock(mu_);
    api_ = std::move(h);
  }
  ZohoClient& Client(ClientOptions options = {}) {
    AuthOptions a;
    a.client_id = "id";
    a.client_secret = kSecret;
    a.refresh_token = kRefresh;
    auth_ = std::make_unique<ZohoAuth>(a, transport_, clock_);
    options.random = [] { return 0.5; };
    client_ = std::make_unique<ZohoClient>(options, *auth_, transport_, clock_);
    return *client_;
  }
  std::vector<HttpRequest> ApiRequests() { return transport_.RequestsTo("/crm/v8/"); }

  static std::vector<Record> Records(size_t n) {
    std::vector<Record> out;
    for (size_t i = 0; i < n; ++i) {
      out.push_back(Record{{"Last_Name", JsonValue("L" + std::to_string(i))},
                           {"ERP_Id", JsonValue("E" + std::to_string(i))}});
    }
    return out;
  }

  std::mutex mu_;
  ApiHandler api_;
  std::atomic<int> tokens_{0};
  FakeTransport transport_;
  FakeClock clock_;
  std::unique_ptr<ZohoAuth> auth_;
  std::unique_ptr<ZohoClient> client_;
};

TEST_F(ZohoClientTest, Batches101RecordsIntoTwoCallsWithResultsInInputOrder) {
  SetApi([](const HttpRequest& r) -> Result<HttpResponse> {
    size_t n = CountRecords(r.body);
    // The second batch gets ids from 1000 so the order can be checked.
    return JsonReply(201, SuccessItems(n, n == 100 ? 1 : 1000));
  });
  ZohoClient& client = Client();
  auto results = client.Insert("Leads", Records(101));
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 101u);
  auto reqs = ApiRequests();
  ASSERT_EQ(reqs.size(), 2u);
  std::vector<size_t> sizes = {CountRecords(reqs[0].body), CountRecords(reqs[1].body)};
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 100}));
  EXPECT_EQ((*results)[0].id, "1");
  EXPECT_EQ((*results)[99].id, "100");
  EXPECT_EQ((*results)[100].id, "1000");
  for (const RecordResult& r : *results) EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "https://www.zohoapis.com/crm/v8/Leads");
  bool has_auth = false;
  for (const auto& [k, v] : reqs[0].headers) {
    if (k == "Authorization") has_auth = v == "Zoho-oauthtoken access-1";
  }
  EXPECT_TRUE(has_auth);
  EXPECT_EQ(client.stats().calls, 2);
  EXPECT_EQ(client.stats().credits, 10 + 1);
}

TEST_F(ZohoClientTest, APreparedWriteIsBuiltSentAndReadInThreeSteps) {
  SetApi([](const HttpRequest& r) -> Result<HttpResponse> {
    size_t n = CountRecords(r.body);
    return JsonReply(201, SuccessItems(n, n == 100 ? 1 : 1000));
  });
  ZohoClient& client = Client();
  // Prepared on one thread, sent on another, read on the first: no call
  // goes out before Send, and the results are those of Upsert.
  auto prepared = client.PrepareUpsert("Leads", Records(101), {"ERP_Id"});
  ASSERT_THAT(prepared, IsOk());
  EXPECT_EQ(prepared->size(), 101u);
  EXPECT_TRUE(ApiRequests().empty());
  std::thread sender([&] { client.Send(*prepared); });
  sender.join();
  EXPECT_EQ(ApiRequests().size(), 2u);
  std::vector<RecordResult> results = client.Finish(std::move(*prepared));
  ASSERT_EQ(results.size(), 101u);
  EXPECT_EQ(results[0].id, "1");
  EXPECT_EQ(results[100].id, "1000");
  for (const RecordResult& r : results) EXPECT_THAT(r.status, IsOk());
  EXPECT_NE(ApiRequests()[0].body.find("duplicate_check_fields"), std::string::npos);
  // Bad arguments fail the preparation, before any call.
  EXPECT_THAT(client.PrepareUpdate("Leads", Records(1), std::nullopt),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(client.PrepareUpsert("Leads/../x", Records(1), {"ERP_Id"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiRequests().size(), 2u);
}

TEST_F(ZohoClientTest, RetriesOn429Then500ThenSucceeds) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    int k = ++n;
    if (k == 1) {
      HttpResponse busy = JsonReply(429, R"({"code":"TOO_MANY_REQUESTS","status":"error"})");
      busy.headers.emplace_back("Retry-After", "7");
      return busy;
    }
    if (k == 2) return JsonReply(500, R"({"code":"INTERNAL_ERROR","status":"error"})");
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  ZohoClient& client = Client();
  auto results = client.Upsert("Leads", Records(3), {"ERP_Id"});
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(n.load(), 3);
  EXPECT_EQ(client.stats().retries, 2);
  // 7 s (Retry-After) + half of the 1 s backoff ceiling of retry 2.
  EXPECT_EQ(clock_.total_slept(), std::chrono::milliseconds(7000 + 500));
  EXPECT_THAT(ApiRequests()[0].body, HasSubstr(R"("duplicate_check_fields":["ERP_Id"])"));
  EXPECT_EQ(ApiRequests()[0].url, "https://www.zohoapis.com/crm/v8/Leads/upsert");
}

TEST_F(ZohoClientTest, ClockOffsetComesFromTheDateHeader) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    HttpResponse reply = JsonReply(200, SuccessItems(CountRecords(r.body)));
    // The fake clock reads 2026-01-01T00:00:00Z; Zoho's is 3 s ahead.
    reply.headers.emplace_back("Date", "Thu, 01 Jan 2026 00:00:03 GMT");
    return reply;
  });
  ZohoClient& client = Client();
  EXPECT_FALSE(client.ClockOffset().has_value());
  ASSERT_THAT(client.Insert("Leads", Records(1)), IsOk());
  ASSERT_TRUE(client.ClockOffset().has_value());
  EXPECT_EQ(*client.ClockOffset(), std::chrono::milliseconds(3500));
}

// "Thu, 01 Jan 2026 00:00:03 GMT" for a time.
std::string HttpDate(Clock::TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Issue #12 (16f): the offset is measured per response, against the window
// in which the server answered, and the round's narrowest window wins; not
// against the time the whole round ended.
TEST_F(ZohoClientTest, ClockOffsetUsesTheResponseWithTheShortestRoundTrip) {
  transport_.set_clock(&clock_);
  const auto zoho_ahead = std::chrono::seconds(30);
  std::atomic<int> call{0};
  // Three calls of one round, one after the other: 2 s, 0.2 s and 5 s.
  const std::vector<std::chrono::milliseconds> latency = {std::chrono::milliseconds(2000),
                                                          std::chrono::milliseconds(200),
                                                          std::chrono::milliseconds(5000)};
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    const auto half = latency[static_cast<size_t>(call++) % latency.size()] / 2;
    clock_.Advance(half);
    HttpResponse reply = JsonReply(200, R"({"data":[]})");
    reply.headers.emplace_back("Date", HttpDate(clock_.Now() + zoho_ahead));
    clock_.Advance(half);
    return reply;
  });
  ClientOptions options;
  options.max_concurrency = 1;
  ZohoClient& client = Client(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) ids.push_back(std::to_string(1000 + i));
  ASSERT_THAT(client.GetByIds("Leads", ids, {"Last_Name"}), IsOk());
  ASSERT_EQ(call.load(), 3);
  ASSERT_TRUE(client.ClockOffset().has_value());
  // The 0.2 s call: sent at +2.0 s, Zoho's Date 00:00:32 (its clock read
  // 32.1 s), received at +2.2 s: 32.5 - 2.1 = 30.4 s. The round ended at
  // +7.2 s, which would have given 34.5 - 7.2 = 27.3 s from the last reply.
  EXPECT_EQ(*client.ClockOffset(), std::chrono::milliseconds(30400));
  // A later, slower call does not replace the better sample ...
  call = 2;  // 5 s
  ASSERT_THAT(client.GetByIds("Leads", {"1"}, {"Last_Name"}), IsOk());
  EXPECT_EQ(*client.ClockOffset(), std::chrono::milliseconds(30400));
  // ... unless the kept one is over 10 minutes old.
  clock_.Advance(std::chrono::minutes(11));
  call = 2;
  ASSERT_THAT(client.GetByIds("Leads", {"1"}, {"Last_Name"}), IsOk());
  const auto offset = *client.ClockOffset();
  EXPECT_NE(offset, std::chrono::milliseconds(30400));
  EXPECT_LE(std::chrono::abs(offset - zoho_ahead), std::chrono::milliseconds(500 + 2500));
}

TEST_F(ZohoClientTest, CountReadsTheModulesRecordCount) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/Accounts/actions/count") != std::string::npos) {
      return JsonReply(200, R"({"count":950})");
    }
    if (r.url.find("/Leads/actions/count") != std::string::npos) {
      return JsonReply(200, R"({"count":"1200"})");
    }
    HttpResponse empty;
    empty.status = 204;
    return empty;
  });
  ZohoClient& client = Client();
  EXPECT_THAT(client.Count("Accounts"), ::zcrmsync::testing::IsOkAndHolds(950));
  EXPECT_THAT(client.Count("Leads"), ::zcrmsync::testing::IsOkAndHolds(1200));
  EXPECT_THAT(client.Count("Deals"), ::zcrmsync::testing::IsOkAndHolds(0));
  EXPECT_THAT(client.Count("bad module"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiRequests()[0].url, "https://www.zohoapis.com/crm/v8/Accounts/actions/count");
}

// Issue #12 (13): each field name is asked for once, and the 50-field limit
// counts distinct names (a mapping may map Modified_Time or Created_Time,
// which the pull asks for anyway), as the config loader counts them.
TEST_F(ZohoClientTest, FieldListsAskForEachFieldOnce) {
  SetApi([](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(200, R"({"data":[]})");
  });
  ZohoClient& client = Client();
  std::vector<std::string> fields = {"Modified_Time", "Created_Time", "ERP_Id"};
  for (int i = 0; i < 47; ++i) fields.push_back("F" + std::to_string(i));
  fields.push_back("Created_Time");  // mapped too: 51 names, 50 distinct
  ASSERT_THAT(client.GetByIds("Leads", {"1"}, fields), IsOk());
  ASSERT_THAT(client.ListModifiedSince("Leads", fields, std::nullopt), IsOk());
  for (const HttpRequest& r : ApiRequests()) {
    EXPECT_THAT(r.url, HasSubstr("?fields=Modified_Time,Created_Time,ERP_Id,F0,"));
    EXPECT_THAT(r.url, HasSubstr(",F46&"));
    EXPECT_THAT(r.url, Not(HasSubstr("F46,Created_Time")));
  }
  fields.push_back("F47");  // 51 distinct
  EXPECT_THAT(client.GetByIds("Leads", {"1"}, fields), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ZohoClientTest, TriggerArrayIsSentOnlyWhenSet) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  ZohoClient& client = Client();
  ASSERT_THAT(client.Upsert("Leads", Records(1), {"ERP_Id"}, {.trigger = std::vector<std::string>{"workflow"}}),
              IsOk());
  ASSERT_THAT(client.Insert("Leads", Records(1), {.trigger = std::vector<std::string>{}}), IsOk());
  ASSERT_THAT(client.Insert("Leads", Records(1)), IsOk());
  auto reqs = ApiRequests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_THAT(reqs[0].body, HasSubstr(R"("trigger":["workflow"])"));
  EXPECT_THAT(reqs[1].body, HasSubstr(R"("trigger":[])"));
  EXPECT_THAT(reqs[2].body, Not(HasSubstr("trigger")));
}

TEST_F(ZohoClientTest, NoRetryOnInvalidDataAndFieldIsReported) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    return JsonReply(
        207,
        R"({"data":[{"code":"SUCCESS","status":"success","details":{"id":"11"}},)"
        R"({"code":"INVALID_DATA","status":"error","message":"invalid data","details":{"api_name":"Email","json_path":"$.data[1].Email"}},)"
        R"({"code":"MANDATORY_NOT_FOUND","status":"error","details":{"api_name":"Last_Name"}}]})");
  });
  ZohoClient& client = Client();
  auto results = client.Insert("Leads", Records(3));
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(n.load(), 1);
  EXPECT_THAT((*results)[0].status, IsOk());
  EXPECT_EQ((*results)[0].id, "11");
  EXPECT_THAT((*results)[1].status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ((*results)[1].status.GetPayload("field"), "Email");
  EXPECT_EQ((*results)[2].status.GetPayload("field"), "Last_Name");
  EXPECT_EQ(clock_.total_slept().count(), 0);
}

TEST_F(ZohoClientTest, AllRecordsFailing400IsPerRecordNotRetried) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    return JsonReply(400, R"({"data":[{"code":"DUPLICATE_DATA","status":"error","details":{"api_name":"ERP_Id","duplicate_record":{"id":"9"}}}]})");
  });
  auto results = Client().Insert("Leads", Records(1));
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(n.load(), 1);
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ((*results)[0].status.GetPayload("duplicate_id"), "9");
}

TEST_F(ZohoClientTest, InsertIsNotResentAfterAmbiguousFailureButUpsertIs) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (++n == 1) return JsonReply(500, R"({"code":"INTERNAL_ERROR"})");
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  ZohoClient& client = Client();
  auto inserted = client.Insert("Leads", Records(2));
  ASSERT_THAT(inserted, IsOk());
  EXPECT_THAT((*inserted)[0].status, StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT((*inserted)[1].status, StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(n.load(), 1);
  n = 0;
  auto upserted = client.Upsert("Leads", Records(2), {"ERP_Id"});
  EXPECT_THAT((*upserted)[0].status, IsOk());
  EXPECT_EQ(n.load(), 2);
}

TEST_F(ZohoClientTest, InsertIsResentAfter429) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (++n == 1) return JsonReply(429, R"({"code":"TOO_MANY_REQUESTS"})");
    return JsonReply(201, SuccessItems(CountRecords(r.body)));
  });
  auto results = Client().Insert("Leads", Records(2));
  EXPECT_THAT((*results)[1].status, IsOk());
  EXPECT_EQ(n.load(), 2);
}

TEST_F(ZohoClientTest, GivesUpAfterMaxAttempts) {
  std::atomic<int> n{0};
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    return JsonReply(503, "");
  });
  ClientOptions o;
  o.retry.max_attempts = 4;
  auto results = Client(o).Upsert("Leads", Records(1), {"ERP_Id"});
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(n.load(), 4);
}

TEST_F(ZohoClientTest, InvalidTokenRefreshesOnceAndRetries) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization" && v == "Zoho-oauthtoken access-1") {
        return JsonReply(401, R"({"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"})");
      }
    }
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  ZohoClient& client = Client();
  auto results = client.Upsert("Leads", Records(250), {"ERP_Id"});
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(tokens_.load(), 2);  // three calls rejected, one refresh
  EXPECT_EQ(ApiRequests().size(), 6u);
}

TEST_F(ZohoClientTest, PersistentInvalidTokenGivesUpAfterOneRefresh) {
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(401, R"({"code":"INVALID_TOKEN","message":"invalid oauth token"})");
  });
  auto results = Client().Upsert("Leads", Records(1), {"ERP_Id"});
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_EQ(tokens_.load(), 2);
  EXPECT_EQ(ApiRequests().size(), 2u);
}

TEST_F(ZohoClientTest, ScopeMismatchIsPermissionDeniedNotRetried) {
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(401, R"({"code":"OAUTH_SCOPE_MISMATCH","message":"scope"})");
  });
  auto results = Client().Upsert("Leads", Records(1), {"ERP_Id"});
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(ApiRequests().size(), 1u);
}

TEST_F(ZohoClientTest, NeverMoreThanMaxConcurrencyInFlight) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  ClientOptions o;
  o.max_concurrency = 3;
  ZohoClient& client = Client(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { (void)client.Upsert("Leads", Records(1000), {"ERP_Id"}); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ApiRequests().size(), 40u);
  EXPECT_LE(transport_.max_in_flight_seen(), 3 + 1);  // + the token call
  int api_max = transport_.max_in_flight_seen();
  EXPECT_GE(api_max, 2);
}

TEST_F(ZohoClientTest, UpdateSendsIfUnmodifiedSinceAndReportsConflict) {
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(412, R"({"data":[{"code":"ALREADY_MODIFIED","status":"error","message":"modified","details":{"id":"5","Modified_Time":"2026-02-02T10:00:00+05:30"}}]})");
  });
  ZohoClient& client = Client();
  std::vector<Record> recs = {Record{{"id", JsonValue("5")}, {"Phone", JsonValue("1")}}};
  auto results = client.Update("Leads", recs, clock_.Now());
  ASSERT_THAT(results, IsOk());
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kAborted));
  EXPECT_EQ((*results)[0].status.GetPayload("modified_time"), "2026-02-02T10:00:00+05:30");
  auto reqs = ApiRequests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PUT");
  bool has_header = false;
  for (const auto& [k, v] : reqs[0].headers) {
    if (k == "If-Unmodified-Since") has_header = v == "2026-01-01T00:00:00+00:00";
  }
  EXPECT_TRUE(has_header);
  EXPECT_THAT(client.Update("Leads", Records(1)), StatusIs(StatusCode::kInvalidArgument));
}

// Each record is checked against its own last-seen time: records of one
// second share calls, a record with another time never shares its call
// (with one header per call, the oldest time would refuse the others, and
// the newest would miss an edit of the older ones). Results stay in input
// order.
TEST_F(ZohoClientTest, UpdateGroupsRecordsByTheirOwnIfUnmodifiedSince) {
  std::mutex seen_mu;
  std::map<std::string, std::vector<std::string>> ids_by_header;  // header -> record ids
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string header = "(none)";
    for (const auto& [k, v] : r.headers) {
      if (k == "If-Unmodified-Since") header = v;
    }
    Result<JsonValue> body = ParseJson(r.body);
    std::string out = R"({"data":[)";
    bool first = true;
    for (const JsonValue& rec : body->Find("data")->as_array()) {
      const std::string id = rec.GetString("id");
      {
        std::lock_guard<std::mutex> lock(seen_mu);
        ids_by_header[header].push_back(id);
      }
      out += std::string(first ? "" : ",") +
             R"({"code":"SUCCESS","status":"success","message":"record updated","details":{"id":")" +
             id + R"(","Modified_Time":"2026-01-01T00:00:00+05:30"}})";
      first = false;
    }
    return JsonReply(200, out + "]}");
  });
  ClientOptions o;
  o.batch_size = 2;
  ZohoClient& client = Client(o);
  const Clock::TimePoint t0 = clock_.Now();
  std::vector<Record> recs;
  std::vector<std::optional<Clock::TimePoint>> since;
  // ids 0..6: times t0, t0+1s, t0 (+300 ms: the same second), none, t0+1s, t0, t0.
  const std::vector<std::optional<Clock::TimePoint>> times = {
      t0, t0 + std::chrono::seconds(1), t0 + std::chrono::milliseconds(300), std::nullopt,
      t0 + std::chrono::seconds(1), t0, t0};
  for (size_t i = 0; i < times.size(); ++i) {
    recs.push_back(Record{{"id", JsonValue(std::to_string(i))}, {"Phone", JsonValue("1")}});
    since.push_back(times[i]);
  }
  auto results = client.Update("Leads", recs, since);
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_THAT((*results)[i].status, IsOk());
    EXPECT_EQ((*results)[i].id, std::to_string(i)) << "results follow the input order";
  }
  // t0's four records in two calls of two, t0+1s's two in one, the one
  // without a time alone: four calls.
  EXPECT_EQ(ApiRequests().size(), 4u);
  const std::string h0 = FormatZohoTime(t0), h1 = FormatZohoTime(t0 + std::chrono::seconds(1));
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(ids_by_header[h0]), (std::vector<std::string>{"0", "2", "5", "6"}));
  EXPECT_EQ(sorted(ids_by_header[h1]), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(ids_by_header["(none)"], (std::vector<std::string>{"3"}));
  // One time per record, or none at all.
  EXPECT_THAT(client.Update("Leads", recs, std::vector<std::optional<Clock::TimePoint>>(2)),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ZohoClientTest, DeleteUnknownIdIsNotFound) {
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_THAT(r.url, HasSubstr("/crm/v8/Leads?ids=1,2"));
    return JsonReply(207, R"({"data":[{"code":"SUCCESS","status":"success","details":{"id":"1"}},{"code":"INVALID_DATA","status":"error","details":{"id":"2"},"message":"the id given seems to be invalid"}]})");
  });
  auto results = Client().Delete("Leads", {"1", "2"});
  ASSERT_THAT(results, IsOk());
  EXPECT_THAT((*results)[0].status, IsOk());
  EXPECT_THAT((*results)[1].status, StatusIs(StatusCode::kNotFound));
  EXPECT_EQ((*results)[1].id, "2");
}

// A module's records as Zoho lists them: If-Modified-Since ("modified
// after"), sorted by Modified_Time (then id), 200 a page; page numbers past
// 1 and page tokens are refused, as past Zoho's limits. COQL answers the one
// query shape the scan uses. `after_call` runs after each list call.
class FakeModule {
 public:
  struct Rec {
    std::string id;
    int64_t modified;  // seconds since the epoch
  };
  std::vector<Rec> records;
  std::function<void(int list_calls)> after_call;
  int list_calls = 0;
  std::vector<std::string> coql_queries;

  static std::string Id(int n) { return std::to_string(5725767000001000000LL + n); }
  static std::string Time(int64_t secs) {
    return FormatZohoTime(Clock::TimePoint(std::chrono::seconds(secs)));
  }
  static int64_t Secs(std::string_view zoho_time) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               ParseZohoTime(zoho_time).value().time_since_epoch())
        .count();
  }

  Result<HttpResponse> Answer(const HttpRequest& r) {
    if (r.method == "POST" && r.url.find("/coql") != std::string::npos) return Coql(r);
    if (r.url.find("page_token=") != std::string::npos ||
        (r.url.find("&page=") != std::string::npos && r.url.find("&page=1") == std::string::npos)) {
      return JsonReply(400, R"({"code":"PAGINATION_LIMIT_EXCEEDED","status":"error"})");
    }
    std::optional<int64_t> ims;
    for (const auto& [k, v] : r.headers) {
      if (k == "If-Modified-Since") ims = Secs(v);
    }
    std::vector<Rec> rows;
    for (const Rec& rec : records) {
      if (!ims || rec.modified > *ims) rows.push_back(rec);
    }
    std::sort(rows.begin(), rows.end(), [](const Rec& a, const Rec& b) {
      return std::tie(a.modified, a.id) < std::tie(b.modified, b.id);
    });
    ++list_calls;
    const size_t n = std::min<size_t>(rows.size(), 200);
    std::string body = Render(std::vector<Rec>(rows.begin(), rows.begin() + n), rows.size() > n);
    if (after_call) after_call(list_calls);
    return rows.empty() ? JsonReply(304, "") : JsonReply(200, body);
  }

  void Touch(int n, int64_t secs) {
    for (Rec& rec : records) {
      if (rec.id == Id(n)) rec.modified = secs;
    }
  }

 private:
  static std::string Render(const std::vector<Rec>& rows, bool more) {
    std::string data;
    for (const Rec& rec : rows) {
      data += std::string(data.empty() ? "" : ",") + R"({"id":")" + rec.id +
              R"(","Modified_Time":")" + Time(rec.modified) + R"("})";
    }
    return R"({"data":[)" + data + R"(],"info":{"more_records":)" + (more ? "true" : "false") +
           "}}";
  }

  Result<HttpResponse> Coql(const HttpRequest& r) {
    auto body = ParseJson(r.body);
    const std::string q = body.value().GetString("select_query");
    coql_queries.push_back(q);
    static const std::regex shape(
        R"(select .* from \w+ where Modified_Time = '([^']+)'(?: and id > '(\d+)')? order by id asc limit (\d+))");
    std::smatch m;
    if (!std::regex_match(q, m, shape)) {
      return JsonReply(400, R"({"code":"SYNTAX_ERROR","status":"error"})");
    }
    const int64_t at = Secs(m[1].str());
    const std::string after = m[2].str();
    std::vector<Rec> rows;
    for (const Rec& rec : records) {
      if (rec.modified == at && (after.empty() || rec.id > after)) rows.push_back(rec);
    }
    std::sort(rows.begin(), rows.end(), [](const Rec& a, const Rec& b) { return a.id < b.id; });
    const size_t limit = std::stoul(m[3].str());
    if (rows.empty()) return JsonReply(204, "");
    const size_t n = std::min(rows.size(), limit);
    return JsonReply(200,
                     Render(std::vector<Rec>(rows.begin(), rows.begin() + n), rows.size() > n));
  }
};

// Every page of a scan, with the ids delivered.
struct Scanned {
  std::vector<std::string> ids;
  std::vector<ListPosition> positions;
};

TEST_F(ZohoClientTest, ScanPagesByKeyAndNeverSkipsWhenPagesShift) {
  FakeModule zoho;
  const int64_t t0 = 1'767'225'600;
  for (int i = 0; i < 450; ++i) zoho.records.push_back({FakeModule::Id(i), t0 + i / 10});
  // After the first page, a CRM edit moves record 5 to the end: with page
  // numbers, the record then at position 201 would never be listed.
  zoho.after_call = [&](int call) {
    if (call == 1) zoho.Touch(5, t0 + 100);
  };
  SetApi([&](const HttpRequest& r) { return zoho.Answer(r); });
  Scanned got;
  ASSERT_THAT(Client().ScanModified("Leads", {"Last_Name"}, {},
                                    [&](ListPage&& page) {
                                      for (const Record& r : page.records)
                                        got.ids.push_back(r.at("id").as_string());
                                      got.positions.push_back(page.next);
                                      return Status::Ok();
                                    }),
              IsOk());
  std::set<std::string> distinct(got.ids.begin(), got.ids.end());
  EXPECT_EQ(distinct.size(), 450u);
  EXPECT_EQ(got.ids.size(), 451u);  // record 5 twice: as listed, then with its edit
  EXPECT_EQ(got.ids.back(), FakeModule::Id(5));
  for (const ListPosition& p : got.positions) EXPECT_EQ(p.after_id, "");
  EXPECT_EQ(got.positions.back().time, Clock::TimePoint(std::chrono::seconds(t0 + 100)));
  EXPECT_TRUE(zoho.coql_queries.empty());
  for (const HttpRequest& r : ApiRequests()) {
    EXPECT_THAT(r.url, Not(HasSubstr("page_token")));
    EXPECT_THAT(r.url, Not(HasSubstr("&page=")));
    EXPECT_THAT(r.url, HasSubstr("fields=Last_Name,Modified_Time"));
  }
}

TEST_F(ZohoClientTest, ScanReadsASecondHoldingMoreThanAPageById) {
  FakeModule zoho;
  const int64_t t0 = 1'767'225'600;
  int n = 0;
  for (int i = 0; i < 150; ++i) zoho.records.push_back({FakeModule::Id(n++), t0});
  for (int i = 0; i < 450; ++i) zoho.records.push_back({FakeModule::Id(n++), t0 + 1});
  for (int i = 0; i < 10; ++i) zoho.records.push_back({FakeModule::Id(n++), t0 + 2});
  SetApi([&](const HttpRequest& r) { return zoho.Answer(r); });
  Scanned got;
  ASSERT_THAT(Client().ScanModified("Leads", {"Modified_Time", "Last_Name"}, {},
                                    [&](ListPage&& page) {
                                      for (const Record& r : page.records) {
                                        got.ids.push_back(r.at("id").as_string());
                                      }
                                      got.positions.push_back(page.next);
                                      return Status::Ok();
                                    }),
              IsOk());
  EXPECT_EQ(got.ids.size(), 610u);
  EXPECT_EQ(std::set<std::string>(got.ids.begin(), got.ids.end()).size(), 610u);
  // The second t0 + 1 went by id, 200 a query, from its start.
  ASSERT_EQ(zoho.coql_queries.size(), 3u);
  EXPECT_THAT(zoho.coql_queries[0], HasSubstr("where Modified_Time = '" + FakeModule::Time(t0 + 1) +
                                              "' order by id asc"));
  EXPECT_THAT(zoho.coql_queries[1], HasSubstr("and id > '" + FakeModule::Id(349) + "'"));
  bool by_id = false;
  for (const ListPosition& p : got.positions) by_id = by_id || p.after_id == FakeModule::Id(549);
  EXPECT_TRUE(by_id);
  // Then the records after that second: If-Modified-Since = t0 + 1.
  auto lists = ApiRequests();
  ASSERT_FALSE(lists.empty());
  bool after_second = false;
  for (const HttpRequest& r : lists) {
    for (const auto& [k, v] : r.headers)
      after_second = after_second || (k == "If-Modified-Since" && v == FakeModule::Time(t0 + 1));
  }
  EXPECT_TRUE(after_second);
}

TEST_F(ZohoClientTest, ScanResumesInsideASecondAfterTheLastIdDelivered) {
  FakeModule zoho;
  const int64_t t0 = 1'767'225'600;
  for (int i = 0; i < 300; ++i) zoho.records.push_back({FakeModule::Id(i), t0});
  zoho.records.push_back({FakeModule::Id(300), t0 + 5});
  SetApi([&](const HttpRequest& r) { return zoho.Answer(r); });
  std::vector<std::string> ids;
  const ListPosition from{Clock::TimePoint(std::chrono::seconds(t0)), FakeModule::Id(249)};
  ASSERT_THAT(Client().ScanModified("Leads", {"Last_Name"}, from,
                                    [&](ListPage&& page) {
                                      for (const Record& r : page.records)
                                        ids.push_back(r.at("id").as_string());
                                      return Status::Ok();
                                    }),
              IsOk());
  ASSERT_EQ(ids.size(), 51u);
  EXPECT_EQ(ids.front(), FakeModule::Id(250));
  EXPECT_EQ(ids.back(), FakeModule::Id(300));
}

TEST_F(ZohoClientTest, ListModifiedSinceMeansAfterThatSecond) {
  FakeModule zoho;
  const int64_t t0 = 1'767'225'600;
  for (int i = 0; i < 3; ++i) zoho.records.push_back({FakeModule::Id(i), t0 + i});
  SetApi([&](const HttpRequest& r) { return zoho.Answer(r); });
  auto all = Client().ListModifiedSince(
      "Leads", {"Last_Name"},
      Clock::TimePoint(std::chrono::seconds(t0 + 1)) + std::chrono::milliseconds(300));
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).at("id").as_string(), FakeModule::Id(2));
}

TEST(ParseZohoTimeTest, OffsetsAndZ) {
  const Clock::TimePoint t(std::chrono::seconds(1'767'225'600));
  EXPECT_EQ(ParseZohoTime("2026-01-01T05:30:00+05:30"), t);
  EXPECT_EQ(ParseZohoTime("2025-12-31T16:00:00-08:00"), t);
  EXPECT_EQ(ParseZohoTime("2026-01-01T00:00:00Z"), t);
  EXPECT_EQ(ParseZohoTime("2026-01-01T00:00:00+0530"), std::nullopt);
  EXPECT_EQ(ParseZohoTime("2026-01-01"), std::nullopt);
}

TEST_F(ZohoClientTest, ListNotModifiedIsEmpty) {
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> { return JsonReply(304, ""); });
  auto all = Client().ListModifiedSince("Leads", {"Last_Name"}, clock_.Now());
  ASSERT_THAT(all, IsOk());
  EXPECT_TRUE(all->empty());
}

TEST_F(ZohoClientTest, CoqlCreditsFollowLimit) {
  SetApi([&](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(200, R"({"data":[{"id":"1","Last_Name":"x"}],"info":{"count":1,"more_records":true}})");
  });
  ZohoClient& client = Client();
  auto r = client.Coql("select Last_Name from Leads where Last_Name is not null limit 1500");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rows.size(), 1u);
  EXPECT_TRUE(r->more_records);
  EXPECT_EQ(client.stats().credits, 3);
  ASSERT_THAT(client.Coql("select id from Leads where id is not null"), IsOk());
  EXPECT_EQ(client.stats().credits, 4);
}

TEST_F(ZohoClientTest, BadArgumentsAreRejectedUpFront) {
  ZohoClient& client = Client();
  EXPECT_THAT(client.Insert("Leads/../x", Records(1)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(client.GetByIds("Leads", {"1"}, {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(ApiRequests().empty());
}

TEST_F(ZohoClientTest, SecretsNeverInLogsOrErrors) {
  std::ostringstream logs;
  log::Configure({log::Level::kTrace, log::Format::kText});
  log::SetOutputForTesting(&logs);
  // A server that echoes whatever Authorization header it got into its errors.
  SetApi([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string auth;
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization") auth = v;
    }
    return JsonReply(400, R"({"code":"INVALID_REQUEST","message":"bad header )" + auth + R"("})");
  });
  ZohoClient& client = Client();
  auto results = client.Upsert("Leads", Records(1), {"ERP_Id"});
  auto list = client.ListModifiedSince("Leads", {"Last_Name"}, std::nullopt);
  log::SetOutputForTesting(nullptr);
  log::Configure({});
  ASSERT_THAT(results, IsOk());
  const Status& s = (*results)[0].status;
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_FALSE(list.has_value());
  for (const std::string& text : {s.ToString(), list.error().ToString(), logs.str()}) {
    EXPECT_THAT(text, Not(HasSubstr("access-1")));
    EXPECT_THAT(text, Not(HasSubstr(kSecret)));
    EXPECT_THAT(text, Not(HasSubstr(kRefresh)));
  }
  EXPECT_THAT(logs.str(), HasSubstr("call failed"));
  EXPECT_THAT(logs.str(), HasSubstr("access token refreshed"));
}

// Issue #12 (15): the token reply's api_domain never redirects the calls.
// Without an explicit api_base_url, a reply naming another host than the
// data centre's is refused before any API call is made.
TEST_F(ZohoClientTest, ApiDomainOfAnotherHostIsNeverCalled) {
  transport_.set_handler([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth/v2/token") != std::string::npos) {
      return JsonReply(
          200, R"({"access_token":"t","api_domain":"http://evil.example","expires_in":3600})");
    }
    return JsonReply(200, SuccessItems(CountRecords(r.body)));
  });
  auto results = Client().Upsert("Leads", Records(1), {"ERP_Id"});
  ASSERT_THAT(results, IsOk());
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT((*results)[0].status.message(), HasSubstr("evil.example"));
  EXPECT_THAT((*results)[0].status.message(), HasSubstr("www.zohoapis.com"));
  for (const HttpRequest& r : transport_.requests()) {
    EXPECT_THAT(r.url, Not(HasSubstr("evil.example")));
  }
  EXPECT_TRUE(ApiRequests().empty());
}

TEST_F(ZohoClientTest, PlainHttpToARemoteApiBaseUrlIsRefused) {
  transport_.set_handler([](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(200, R"({"access_token":"t","api_domain":"http://evil.example","expires_in":3600})");
  });
  AuthOptions a;
  a.client_id = "id";
  a.client_secret = kSecret;
  a.refresh_token = kRefresh;
  a.api_base_url = "http://evil.example";
  ZohoAuth auth(a, transport_, clock_);
  ZohoClient client(ClientOptions{}, auth, transport_, clock_);
  auto results = client.Upsert("Leads", Records(1), {"ERP_Id"});
  ASSERT_THAT(results, IsOk());
  EXPECT_THAT((*results)[0].status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT((*results)[0].status.message(), HasSubstr("TLS is required"));
}

TEST(FormatZohoTimeTest, Utc) {
  EXPECT_EQ(FormatZohoTime(Clock::TimePoint(std::chrono::seconds(1'767'225'600) +
                                            std::chrono::microseconds(999))),
            "2026-01-01T00:00:00+00:00");
}

}  // namespace
}  // namespace zcrmsync::crm
