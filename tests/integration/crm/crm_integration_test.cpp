// The Zoho client end to end over real sockets: CurlTransport on loopback to
// the in-process emulator (emulator/emulator.h) started on port 0.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crm/curl_transport.h"
#include "crm/zoho_auth.h"
#include "crm/zoho_client.h"
#include "emulator/emulator.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::testing::Contains;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;

class CrmIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator::Options o;
    o.admin = true;
    o.seed = 42;
    auto emu = emulator::Emulator::Create(o);
    ASSERT_TRUE(emu.has_value()) << emu.error();
    emu_ = std::move(*emu);
    auto port = emu_->Start();
    ASSERT_TRUE(port.has_value()) << port.error();
    AuthOptions a;
    a.client_id = o.client_id;
    a.client_secret = o.client_secret;
    a.refresh_token = o.refresh_token;
    a.accounts_url = emu_->base_url();
    a.api_base_url = emu_->base_url();
    auth_ = std::make_unique<ZohoAuth>(a, *transport_, SystemClock());
  }
  void TearDown() override {
    // Close the kept-alive connections first, or the server waits them out.
    client_.reset();
    auth_.reset();
    transport_.reset();
    if (emu_) emu_->Stop();
  }

  ZohoClient& Client(ClientOptions o = {}) {
    o.retry.initial_backoff = std::chrono::milliseconds(10);
    o.retry.max_backoff = std::chrono::milliseconds(200);
    o.request_timeout = std::chrono::milliseconds(10'000);
    client_ = std::make_unique<ZohoClient>(o, *auth_, *transport_, SystemClock());
    return *client_;
  }

  // POST /__admin/<what> with a JSON body, without sockets.
  void Admin(const std::string& what, const std::string& body) {
    emulator::HttpRequest r;
    r.method = "POST";
    r.path = "/__admin/" + what;
    r.body = body;
    emulator::HttpResponse resp = emu_->Handle(r);
    ASSERT_EQ(resp.status, 200) << resp.body;
  }
  JsonValue Stats() {
    auto v = ParseJson(emu_->StatsJson());
    EXPECT_TRUE(v.has_value());
    return v.has_value() ? *v : JsonValue();
  }
  int64_t StatInt(const JsonValue& stats, const std::string& group, const std::string& key) {
    const JsonValue* g = group.empty() ? &stats : stats.Find(group);
    const JsonValue* v = g != nullptr ? g->Find(key) : nullptr;
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  }

  static std::vector<Record> Leads(int n, int first = 0, const std::string& tag = "L") {
    std::vector<Record> out;
    for (int i = first; i < first + n; ++i) {
      out.push_back(Record{{"Last_Name", JsonValue(tag + std::to_string(i))},
                           {"Company", JsonValue("Acme " + std::to_string(i))},
                           {"ERP_Id", JsonValue("ERP-" + std::to_string(i))}});
    }
    return out;
  }

  // ERP_Id -> how many Leads carry it.
  std::map<std::string, int> ErpIdCounts(ZohoClient& client) {
    std::map<std::string, int> counts;
    auto all = client.ListModifiedSince("Leads", {"ERP_Id", "Last_Name"}, std::nullopt);
    EXPECT_THAT(all, IsOk());
    if (all.has_value()) {
      for (const Record& r : *all) {
        auto it = r.find("ERP_Id");
        if (it != r.end() && it->second.is_string()) ++counts[it->second.as_string()];
      }
    }
    return counts;
  }

  std::unique_ptr<CurlTransport> transport_ = std::make_unique<CurlTransport>();
  std::unique_ptr<emulator::Emulator> emu_;
  std::unique_ptr<ZohoAuth> auth_;
  std::unique_ptr<ZohoClient> client_;
};

TEST_F(CrmIntegrationTest, EveryOperation) {
  ZohoClient& client = Client();
  const auto start = SystemClock().Now() - std::chrono::seconds(2);

  auto fields = client.Fields("Leads");
  ASSERT_THAT(fields, IsOk());
  bool erp_unique = false;
  for (const FieldInfo& f : *fields) {
    if (f.api_name == "ERP_Id") erp_unique = f.unique;
  }
  EXPECT_TRUE(erp_unique);

  auto inserted = client.Insert("Leads", Leads(3));
  ASSERT_THAT(inserted, IsOk());
  std::vector<std::string> ids;
  for (const RecordResult& r : *inserted) {
    ASSERT_THAT(r.status, IsOk());
    ids.push_back(r.id);
  }

  // Per-record errors carry the field.
  std::vector<Record> bad = {Record{{"Company", JsonValue("No name")}}, Leads(1, 0)[0]};
  auto bad_results = client.Insert("Leads", bad);
  ASSERT_THAT(bad_results, IsOk());
  EXPECT_THAT((*bad_results)[0].status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ((*bad_results)[0].status.GetPayload("field"), "Last_Name");
  EXPECT_THAT((*bad_results)[1].status, StatusIs(StatusCode::kInvalidArgument));  // duplicate
  EXPECT_EQ((*bad_results)[1].status.GetPayload("field"), "ERP_Id");
  EXPECT_EQ((*bad_results)[1].status.GetPayload("duplicate_id"), ids[0]);

  auto got = client.GetByIds("Leads", ids, {"Last_Name", "ERP_Id"});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->size(), 3u);

  auto updated = client.Update(
      "Leads", {Record{{"id", JsonValue(ids[1])}, {"Phone", JsonValue("+1 555 0101")}}});
  ASSERT_THAT(updated, IsOk());
  EXPECT_THAT((*updated)[0].status, IsOk());
  // Optimistic concurrency: a time before the last change is refused.
  auto stale = client.Update("Leads", {Record{{"id", JsonValue(ids[1])}, {"Phone", JsonValue("2")}}},
                             start);
  ASSERT_THAT(stale, IsOk());
  EXPECT_THAT((*stale)[0].status, StatusIs(StatusCode::kAborted));
  EXPECT_TRUE((*stale)[0].status.GetPayload("modified_time").has_value());

  std::vector<Record> up = Leads(2, 2, "U");  // ERP-2 exists, ERP-3 is new
  auto upserted = client.Upsert("Leads", up, {"ERP_Id"});
  ASSERT_THAT(upserted, IsOk());
  EXPECT_EQ((*upserted)[0].action, "update");
  EXPECT_EQ((*upserted)[0].id, ids[2]);
  EXPECT_EQ((*upserted)[1].action, "insert");

  auto listed = client.ListModifiedSince("Leads", {"Last_Name", "ERP_Id"}, start);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->size(), 4u);

  auto coql = client.Coql("select Last_Name, ERP_Id from Leads where ERP_Id = 'ERP-3' limit 10");
  ASSERT_THAT(coql, IsOk());
  ASSERT_EQ(coql->rows.size(), 1u);
  EXPECT_EQ(coql->rows[0].at("Last_Name").as_string(), "U3");

  auto deleted = client.Delete("Leads", {ids[0], "999999999"});
  ASSERT_THAT(deleted, IsOk());
  EXPECT_THAT((*deleted)[0].status, IsOk());
  EXPECT_THAT((*deleted)[1].status, StatusIs(StatusCode::kNotFound));

  auto gone = client.DeletedSince("Leads", start);
  ASSERT_THAT(gone, IsOk());
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_EQ((*gone)[0].id, ids[0]);

  // The client's credit ledger matches what the emulator charged.
  EXPECT_EQ(client.stats().credits, StatInt(Stats(), "", "credits_used_total"));
}

TEST_F(CrmIntegrationTest, HundredAndOneRecordsGoInTwoCalls) {
  ZohoClient& client = Client();
  auto results = client.Insert("Leads", Leads(101));
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(StatInt(Stats(), "calls", "POST /crm/v8/Leads"), 2);
  EXPECT_EQ(StatInt(Stats(), "records", "Leads"), 101);
  EXPECT_EQ(ErpIdCounts(client).size(), 101u);
}

TEST_F(CrmIntegrationTest, StormOf429s500sAndDroppedConnectionsLandsEveryRecordOnce) {
  // Client allows 8 in flight, the emulator only 3: 429s. Plus 20% 500s and
  // 15% dropped connections.
  Admin("config", R"({"concurrency":3,"fault_500":0.2,"fault_drop":0.15,"latency_ms":5})");
  ClientOptions o;
  o.max_concurrency = 8;
  o.batch_size = 25;
  o.retry.max_attempts = 40;
  ZohoClient& client = Client(o);
  auto results = client.Upsert("Leads", Leads(600), {"ERP_Id"});
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) ASSERT_THAT(r.status, IsOk());
  // A second pass over the same keys (as after a crash) must update, not add.
  auto again = client.Upsert("Leads", Leads(600, 0, "R"), {"ERP_Id"});
  ASSERT_THAT(again, IsOk());
  for (const RecordResult& r : *again) {
    ASSERT_THAT(r.status, IsOk());
    EXPECT_EQ(r.action, "update");
  }
  JsonValue stats = Stats();
  EXPECT_GT(StatInt(stats, "", "too_many_requests"), 0);
  EXPECT_GT(client.stats().retries, 0);
  Admin("config", R"({"concurrency":10,"fault_500":0,"fault_drop":0,"latency_ms":0})");
  std::map<std::string, int> counts = ErpIdCounts(client);
  EXPECT_EQ(counts.size(), 600u);
  for (const auto& [erp, n] : counts) EXPECT_EQ(n, 1) << erp;
  EXPECT_EQ(StatInt(Stats(), "records", "Leads"), 600);
}

TEST_F(CrmIntegrationTest, TokenExpiringMidRunIsRefreshed) {
  Admin("config", R"({"latency_ms":40})");
  ClientOptions o;
  o.max_concurrency = 2;
  o.batch_size = 10;
  ZohoClient& client = Client(o);
  std::thread expirer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    Admin("expire_tokens", "{}");  // every access token dies at once
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    Admin("expire_tokens", "{}");
  });
  auto results = client.Upsert("Leads", Leads(600), {"ERP_Id"});  // 60 calls, >= 1.2 s
  expirer.join();
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(auth_->refresh_count(), 3);  // the first token and one refresh per expiry
  EXPECT_EQ(StatInt(Stats(), "calls", "POST /oauth/v2/token"), 3);
  EXPECT_EQ(ErpIdCounts(client).size(), 600u);
}

TEST_F(CrmIntegrationTest, ShortTokenLifetimeRefreshesByExpiry) {
  Admin("config", R"({"token_lifetime_s":2,"latency_ms":50})");
  ClientOptions o;
  o.max_concurrency = 1;
  o.batch_size = 10;
  ZohoClient& client = Client(o);
  auto results = client.Upsert("Leads", Leads(400), {"ERP_Id"});  // 40 calls, ~2 s
  ASSERT_THAT(results, IsOk());
  for (const RecordResult& r : *results) ASSERT_THAT(r.status, IsOk());
  EXPECT_GE(auth_->refresh_count(), 2);
}

TEST_F(CrmIntegrationTest, ConcurrencyNeverAboveTheLimit) {
  Admin("config", R"({"latency_ms":30})");
  ClientOptions o;
  o.max_concurrency = 4;
  o.batch_size = 20;
  ZohoClient& client = Client(o);
  // Two threads share the client's limit.
  std::thread other([&] { (void)client.Upsert("Contacts", {}, {"ERP_Id"}); });
  std::vector<Record> contacts;
  for (int i = 0; i < 200; ++i) {
    contacts.push_back(Record{{"Last_Name", JsonValue("C" + std::to_string(i))},
                              {"ERP_Id", JsonValue("C-" + std::to_string(i))}});
  }
  std::thread t2([&] {
    auto r = client.Upsert("Contacts", contacts, {"ERP_Id"});
    EXPECT_THAT(r, IsOk());
  });
  auto results = client.Upsert("Leads", Leads(400), {"ERP_Id"});
  other.join();
  t2.join();
  ASSERT_THAT(results, IsOk());
  JsonValue stats = Stats();
  EXPECT_LE(StatInt(stats, "", "max_concurrency"), 4);
  EXPECT_GE(StatInt(stats, "", "max_concurrency"), 2);
  EXPECT_EQ(StatInt(stats, "", "too_many_requests"), 0);
  EXPECT_EQ(StatInt(stats, "records", "Leads"), 400);
  EXPECT_EQ(StatInt(stats, "records", "Contacts"), 200);
  // Connections are reused: far fewer than the 30 calls made.
  EXPECT_LE(transport_->connections_opened(), 12);
}

TEST_F(CrmIntegrationTest, WrongRefreshTokenIsUnauthenticatedWithoutLeaking) {
  AuthOptions a;
  a.client_id = "zcrmsync-demo";
  a.client_secret = "zcrmsync-demo-secret";
  a.refresh_token = "a-wrong-refresh-token";
  a.accounts_url = emu_->base_url();
  ZohoAuth bad(a, *transport_, SystemClock());
  auto t = bad.GetToken();
  ASSERT_THAT(t, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(t.error().ToString(), ::testing::Not(::testing::HasSubstr("a-wrong-refresh-token")));
  EXPECT_THAT(t.error().ToString(), ::testing::Not(::testing::HasSubstr("zcrmsync-demo-secret")));
}

}  // namespace
}  // namespace zcrmsync::crm
