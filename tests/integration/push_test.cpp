// Push (ERP -> CRM) end to end on PostgreSQL, MariaDB and SQLite with the
// local Zoho emulator over loopback: creates as upserts on the external id,
// only changed fields on update, nothing for unmapped or unchanged data,
// deletes, a bad value parked while the rest syncs.
#include <gtest/gtest.h>

#include "change_capture/kit_manager.h"
#include "crm/curl_transport.h"
#include "crm/zoho_auth.h"
#include "crm/zoho_client.h"
#include "emulator/emulator.h"
#include "mappings/config_loader.h"
#include "odbc/statement.h"
#include "sync/link_store.h"
#include "change_capture/change_reader.h"
#include "sync/initial_load.h"
#include "sync/pull.h"
#include "sync/push.h"
#include "sync/resolve.h"
#include "tests/integration/odbc_fixture.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::testing {
namespace {

class PushTest : public OdbcFixture {
 protected:
  void SetUp() override {
    OdbcFixture::SetUp();
    if (IsSkipped()) return;
    const std::string dialect = is(kPostgres) ? "postgresql" : is(kMariaDb) ? "mysql" : "sqlite";
    const std::string json = R"({
      "database": {"dialect": ")" + dialect + R"(", "connection_string": "${CS}", "schema": "zcrmsync_push"},
      "zoho": {"client_id": "zcrmsync-demo", "client_secret": "s", "refresh_token": "r"},
      "mappings": [{
        "name": "customers", "table": "push_customers", "module": "Accounts",
        "key_columns": ["id"], "external_id_field": "ERP_Id",
        "fields": [
          {"column": "name", "field": "Account_Name"},
          {"column": "site", "field": "Website", "direction": "erp_to_crm"},
          {"column": "tier", "field": "Rating", "values": {"A": "Acquired", "B": "Active"}},
        ],
      }],
    })";
    const std::string cs = connection_string_;
    auto config = mappings::ParseConfig(json, "push.jsonc", [cs](const std::string& n) {
      return n == "CS" ? std::optional<std::string>(cs) : std::nullopt;
    });
    ASSERT_TRUE(config.has_value()) << config.error();
    config_ = std::move(*config);
    kit_ = *change_capture::KitOptionsFor(*config_);
    tables_ = change_capture::CaptureTablesFor(*config_);
    (void)change_capture::Uninstall(conn(), kit_, tables_);
    Exec("DROP TABLE IF EXISTS push_customers");
    Exec("CREATE TABLE push_customers (id integer PRIMARY KEY, name varchar(100), "
         "site varchar(200), tier varchar(5), note varchar(50))");
    ASSERT_THAT(change_capture::Install(conn(), kit_, tables_), IsOk());

    emulator::Options o;
    auto emu = emulator::Emulator::Create(o);
    ASSERT_TRUE(emu.has_value()) << emu.error();
    emu_ = std::move(*emu);
    ASSERT_TRUE(emu_->Start().has_value());
    transport_ = std::make_unique<crm::CurlTransport>();
    crm::AuthOptions a;
    a.client_id = o.client_id;
    a.client_secret = o.client_secret;
    a.refresh_token = o.refresh_token;
    a.accounts_url = emu_->base_url();
    a.api_base_url = emu_->base_url();
    auth_ = std::make_unique<crm::ZohoAuth>(a, *transport_, SystemClock());
    client_ = std::make_unique<crm::ZohoClient>(crm::ClientOptions{}, *auth_, *transport_,
                                                SystemClock());
    auto fields = client_->Fields("Accounts");
    ASSERT_TRUE(fields.has_value()) << fields.error();
    pusher_ = std::make_unique<sync::Pusher>(
        conn(), *config_, kit_, *client_,
        std::map<std::string, std::vector<crm::FieldInfo>>{{"Accounts", *fields}});
    puller_ = std::make_unique<sync::Puller>(
        conn(), *config_, kit_, *client_,
        std::map<std::string, std::vector<crm::FieldInfo>>{{"Accounts", *fields}});
  }

  void TearDown() override {
    puller_.reset();
    pusher_.reset();
    client_.reset();
    auth_.reset();
    transport_.reset();
    if (emu_) emu_->Stop();
    if (conn_ && config_) {
      (void)change_capture::Uninstall(conn(), kit_, tables_);
      (void)conn_->Execute("DROP TABLE IF EXISTS push_customers");
    }
  }

  // The CRM's Accounts with this ERP_Id, via COQL.
  std::vector<crm::Record> Crm(const std::string& erp_id) {
    auto r = client_->Coql("select Account_Name, Website, Rating, ERP_Id from Accounts where ERP_Id = '" +
                           erp_id + "'");
    EXPECT_TRUE(r.has_value()) << r.error();
    return r.has_value() ? r->rows : std::vector<crm::Record>{};
  }
  static std::string Str(const crm::Record& r, const std::string& f) {
    auto it = r.find(f);
    return it != r.end() && it->second.is_string() ? it->second.as_string() : "<not a string>";
  }

  std::optional<mappings::Config> config_;
  change_capture::KitOptions kit_;
  std::vector<change_capture::CaptureTable> tables_;
  std::unique_ptr<emulator::Emulator> emu_;
  std::unique_ptr<crm::CurlTransport> transport_;
  std::unique_ptr<crm::ZohoAuth> auth_;
  std::unique_ptr<crm::ZohoClient> client_;
  std::unique_ptr<sync::Pusher> pusher_;
  std::unique_ptr<sync::Puller> puller_;

  std::string ZohoId(const std::string& erp_id) {
    auto rows = Crm(erp_id);
    EXPECT_EQ(rows.size(), 1u) << erp_id;
    return rows.empty() ? "" : Str(rows[0], "id");
  }
  std::string ErpName(int id) {
    auto s = conn().Prepare("SELECT name FROM push_customers WHERE id = ?");
    EXPECT_TRUE(s.has_value());
    EXPECT_THAT(s->Bind(1, Value::Int64(id)), IsOk());
    EXPECT_TRUE(s->Execute().has_value());
    auto row = s->Fetch();
    if (!row.has_value() || !*row) return "<no row>";
    auto v = s->GetText(1);
    return v.has_value() && v->has_value() ? **v : "<null>";
  }
};

TEST_P(PushTest, CreatesUpdatesDeletesAndParksBadRows) {
  Exec("INSERT INTO push_customers (id, name, site, tier) VALUES "
       "(1, 'Zoë Bakery', 'zoe.example', 'A'), (2, '東京精密', NULL, 'B'), (3, 'Nordlicht', 'n.example', NULL)");
  auto first = pusher_->Drain();
  ASSERT_TRUE(first.has_value()) << first.error();
  EXPECT_EQ(first->created, 3);
  EXPECT_EQ(first->parked, 0);
  auto one = Crm("1");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(Str(one[0], "Account_Name"), "Zoë Bakery");
  EXPECT_EQ(Str(one[0], "Rating"), "Acquired");
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "東京精密");

  // Nothing left: no call at all.
  const int64_t calls_before = client_->stats().calls;
  auto idle = pusher_->Drain();
  ASSERT_TRUE(idle.has_value());
  EXPECT_EQ(idle->changes, 0);
  EXPECT_EQ(client_->stats().calls, calls_before);

  // Unmapped column: not captured. Same value: captured by no one.
  Exec("UPDATE push_customers SET note = 'internal' WHERE id = 1");
  auto unmapped = pusher_->Drain();
  ASSERT_TRUE(unmapped.has_value());
  EXPECT_EQ(unmapped->changes, 0);

  // One mapped field changes: one update call carrying that field only.
  Exec("UPDATE push_customers SET name = 'Zoë''s Bakery' WHERE id = 1");
  auto update = pusher_->Drain();
  ASSERT_TRUE(update.has_value()) << update.error();
  EXPECT_EQ(update->updated, 1);
  EXPECT_EQ(client_->stats().calls, calls_before + 1);
  EXPECT_EQ(Str(Crm("1")[0], "Account_Name"), "Zoë's Bakery");

  // A value the picklist map does not know is parked; the other row syncs.
  Exec("UPDATE push_customers SET tier = 'Z' WHERE id = 2");
  Exec("UPDATE push_customers SET site = 'nordlicht.example' WHERE id = 3");
  auto mixed = pusher_->Drain();
  ASSERT_TRUE(mixed.has_value()) << mixed.error();
  EXPECT_EQ(mixed->parked, 1);
  EXPECT_EQ(mixed->updated, 1);
  EXPECT_EQ(Str(Crm("3")[0], "Website"), "nordlicht.example");
  sync::LinkStore store(conn(), kit_);
  auto parked = store.ListParked();
  ASSERT_TRUE(parked.has_value());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ(parked->at(0).erp_key, "[\"2\"]");
  EXPECT_EQ(parked->at(0).field, "Rating");
  EXPECT_NE(parked->at(0).message.find("Z"), std::string::npos) << parked->at(0).message;
  // Later changes to a parked record wait behind it.
  Exec("UPDATE push_customers SET name = 'later' WHERE id = 2");
  auto waiting = pusher_->Drain();
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ(waiting->waiting, 1);
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "東京精密");
  // Fixed and retried: the row goes out as it is now, and nothing waits.
  Exec("UPDATE push_customers SET tier = 'B' WHERE id = 2");
  ASSERT_THAT(store.Retry(parked->at(0)), IsOk());
  EXPECT_THAT(store.Retry(parked->at(0)), StatusIs(StatusCode::kNotFound));  // closed already
  auto retried = pusher_->Drain();
  ASSERT_TRUE(retried.has_value()) << retried.error();
  EXPECT_EQ(retried->parked, 0);
  EXPECT_EQ(retried->waiting, 0);
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "later");
  EXPECT_EQ(Str(Crm("2")[0], "Rating"), "Active");
  EXPECT_THAT(store.ListParked(), IsOkAndHolds(::testing::IsEmpty()));

  // A delete propagates.
  Exec("DELETE FROM push_customers WHERE id = 3");
  auto del = pusher_->Drain();
  ASSERT_TRUE(del.has_value()) << del.error();
  EXPECT_EQ(del->deleted, 1);
  EXPECT_TRUE(Crm("3").empty());
}

TEST_P(PushTest, PullsCrmEditsMergesFieldsAndSkipsEchoes) {
  Exec("INSERT INTO push_customers (id, name, site, tier) VALUES "
       "(1, 'One', 'one.example', 'A'), (2, 'Two', NULL, 'A'), (3, 'Three', NULL, NULL)");
  ASSERT_TRUE(pusher_->Drain().has_value());

  // Our own writes come back as echoes: nothing is written anywhere.
  auto echoes = puller_->RunOnce();
  ASSERT_TRUE(echoes.has_value()) << echoes.error();
  EXPECT_EQ(echoes->fetched, 3);
  EXPECT_EQ(echoes->echoes, 3);
  EXPECT_EQ(echoes->erp_updated + echoes->crm_updated, 0);

  // A CRM edit flows back to the ERP, and the write-back is not captured.
  auto edit = client_->Update("Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId("1"))},
                                                       {"Account_Name", crm::JsonValue("One (CRM)")}}});
  ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  auto pulled = puller_->RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->erp_updated, 1);
  EXPECT_EQ(ErpName(1), "One (CRM)");
  auto after = pusher_->Drain();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->changes, 0) << "the agent's write-back was captured";

  // Both sides edit different fields of one record: both edits survive.
  Exec("UPDATE push_customers SET tier = 'B' WHERE id = 2");  // ERP: Rating
  auto crm_edit = client_->Update(
      "Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId("2"))},
                               {"Account_Name", crm::JsonValue("Two (CRM)")}}});  // CRM: name
  ASSERT_TRUE(crm_edit.has_value() && crm_edit->at(0).status.ok());
  auto merged = puller_->RunOnce();
  ASSERT_TRUE(merged.has_value()) << merged.error();
  EXPECT_EQ(merged->conflicts, 0);
  auto push_after_merge = pusher_->Drain();
  ASSERT_TRUE(push_after_merge.has_value()) << push_after_merge.error();
  EXPECT_EQ(ErpName(2), "Two (CRM)");
  auto two = Crm("2");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(Str(two[0], "Account_Name"), "Two (CRM)");
  EXPECT_EQ(Str(two[0], "Rating"), "Active");

  // A CRM delete deletes the ERP row (deletes: propagate), uncaptured.
  auto del = client_->Delete("Accounts", {ZohoId("3")});
  ASSERT_TRUE(del.has_value() && del->at(0).status.ok());
  auto deleted = puller_->RunOnce();
  ASSERT_TRUE(deleted.has_value()) << deleted.error();
  EXPECT_EQ(deleted->erp_deleted, 1);
  EXPECT_EQ(ErpName(3), "<no row>");

  // Converged: more cycles write nothing on either side.
  for (int cycle = 0; cycle < 3; ++cycle) {
    auto p = puller_->RunOnce();
    ASSERT_TRUE(p.has_value()) << p.error();
    EXPECT_EQ(p->erp_updated + p->crm_updated + p->erp_deleted, 0) << "cycle " << cycle;
    auto q = pusher_->Drain();
    ASSERT_TRUE(q.has_value()) << q.error();
    EXPECT_EQ(q->created + q->updated + q->deleted, 0) << "cycle " << cycle;
  }
}

TEST_P(PushTest, ManualRuleHoldsTheFieldAndRecordsTheConflictOnce) {
  mappings::Config manual = *config_;
  manual.sync.conflict_rule = mappings::ConflictRule::kManual;
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), manual, kit_, *client_, meta);
  sync::Puller puller(conn(), manual, kit_, *client_, meta);
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'Base')");
  ASSERT_TRUE(pusher.Drain().has_value());
  // Both sides change the same field to different values.
  Exec("UPDATE push_customers SET name = 'ERP says' WHERE id = 1");
  auto edit = client_->Update("Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId("1"))},
                                                       {"Account_Name", crm::JsonValue("CRM says")}}});
  ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  for (int cycle = 0; cycle < 2; ++cycle) {  // held again on the second cycle: recorded once
    auto pulled = puller.RunOnce();
    ASSERT_TRUE(pulled.has_value()) << pulled.error();
    EXPECT_EQ(pulled->held, 1) << "cycle " << cycle;
    ASSERT_TRUE(pusher.Drain().has_value());
  }
  // Neither side was overwritten.
  EXPECT_EQ(ErpName(1), "ERP says");
  EXPECT_EQ(Str(Crm("1")[0], "Account_Name"), "CRM says");
  sync::LinkStore store(conn(), kit_);
  auto conflicts = store.ListConflicts();
  ASSERT_TRUE(conflicts.has_value()) << conflicts.error();
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ(conflicts->at(0).field, "Account_Name");
  EXPECT_EQ(conflicts->at(0).base_value, "\"Base\"");
  EXPECT_EQ(conflicts->at(0).erp_value, "\"ERP says\"");
  EXPECT_EQ(conflicts->at(0).crm_value, "\"CRM says\"");
}

TEST_P(PushTest, ResolvingAConflictTakesOneSideAndConverges) {
  mappings::Config manual = *config_;
  manual.sync.conflict_rule = mappings::ConflictRule::kManual;
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), manual, kit_, *client_, meta);
  sync::Puller puller(conn(), manual, kit_, *client_, meta);
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'Base 1'), (2, 'Base 2')");
  ASSERT_TRUE(pusher.Drain().has_value());
  Exec("UPDATE push_customers SET name = CASE id WHEN 1 THEN 'ERP 1' ELSE 'ERP 2' END");
  for (int id : {1, 2}) {
    auto edit = client_->Update(
        "Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId(std::to_string(id)))},
                                 {"Account_Name", crm::JsonValue("CRM " + std::to_string(id))}}});
    ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  }
  ASSERT_TRUE(puller.RunOnce().has_value());
  ASSERT_TRUE(pusher.Drain().has_value());
  sync::LinkStore store(conn(), kit_);
  auto held = store.ListConflicts();
  ASSERT_TRUE(held.has_value()) << held.error();
  ASSERT_EQ(held->size(), 2u);

  sync::ConflictResolver resolver(conn(), manual, kit_, *client_, meta, "UTC");
  EXPECT_THAT(resolver.Resolve(999999, sync::Side::kErp), StatusIs(StatusCode::kNotFound));
  // Record 1: the CRM wins; record 2: the ERP wins, with a later ERP edit kept.
  Exec("UPDATE push_customers SET name = 'ERP 2 later' WHERE id = 2");
  const int64_t first = held->at(0).erp_key == "[\"1\"]" ? held->at(0).conflict_id : held->at(1).conflict_id;
  const int64_t second = held->at(0).erp_key == "[\"1\"]" ? held->at(1).conflict_id : held->at(0).conflict_id;
  auto r1 = resolver.Resolve(first, sync::Side::kCrm);
  ASSERT_TRUE(r1.has_value()) << r1.error();
  EXPECT_EQ(r1->value, "\"CRM 1\"");
  auto r2 = resolver.Resolve(second, sync::Side::kErp);
  ASSERT_TRUE(r2.has_value()) << r2.error();
  EXPECT_EQ(r2->value, "\"ERP 2 later\"");
  EXPECT_THAT(resolver.Resolve(first, sync::Side::kErp), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(ErpName(1), "CRM 1");
  EXPECT_EQ(Str(Crm("1")[0], "Account_Name"), "CRM 1");
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "ERP 2 later");
  EXPECT_THAT(store.ListConflicts(), IsOkAndHolds(::testing::IsEmpty()));

  // Settled and converged: the next cycles write nothing and hold nothing.
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto p = puller.RunOnce();
    ASSERT_TRUE(p.has_value()) << p.error();
    EXPECT_EQ(p->erp_updated + p->crm_updated + p->held, 0) << "cycle " << cycle;
    auto q = pusher.Drain();
    ASSERT_TRUE(q.has_value()) << q.error();
    EXPECT_EQ(q->created + q->updated, 0) << "cycle " << cycle;
  }
  EXPECT_EQ(ErpName(2), "ERP 2 later");
}

TEST_P(PushTest, InitialLoadPushesRowsThatExistedBeforeInstall) {
  ASSERT_THAT(change_capture::Uninstall(conn(), kit_, tables_), IsOk());
  for (int i = 1; i <= 25; ++i) {
    Exec("INSERT INTO push_customers (id, name, tier) VALUES (" + std::to_string(i) + ", 'Old " +
         std::to_string(i) + "', 'A')");
  }
  ASSERT_THAT(change_capture::Install(conn(), kit_, tables_), IsOk());
  sync::InitialLoader loader(conn(), *config_, kit_, /*chunk=*/10);
  auto first = loader.QueueAll();
  ASSERT_TRUE(first.has_value()) << first.error();
  EXPECT_EQ(first->queued, 25);
  EXPECT_TRUE(first->done["customers"]);
  auto again = loader.QueueAll();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->queued, 0);  // done: resumable, never twice
  auto pushed = pusher_->Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 25);
  EXPECT_EQ(Str(Crm("25")[0], "Account_Name"), "Old 25");
}

TEST_P(PushTest, InitialLoadPagesCompositeKeysWithoutSkipping) {
  Exec("DROP TABLE IF EXISTS push_lines");
  Exec("CREATE TABLE push_lines (a integer NOT NULL, b varchar(10) NOT NULL, qty integer, "
       "PRIMARY KEY (a, b))");
  Exec("INSERT INTO push_lines (a, b, qty) VALUES (1, 'x', 1), (1, 'y', 2), (2, 'a', 3), "
       "(2, 'b', 4), (10, 'a', 5)");
  const std::string dialect = is(kPostgres) ? "postgresql" : is(kMariaDb) ? "mysql" : "sqlite";
  auto config = mappings::ParseConfig(R"({
      "database": {"dialect": ")" + dialect + R"(", "connection_string": "x", "schema": "zcrmsync_push"},
      "zoho": {"client_id": "c", "client_secret": "s", "refresh_token": "r"},
      "mappings": [{"name": "lines", "table": "push_lines", "module": "Deals",
                    "key_columns": ["a", "b"], "external_id_field": "ERP_Id",
                    "fields": [{"column": "qty", "field": "Amount"}]}]})",
                                      "lines.json");
  ASSERT_TRUE(config.has_value()) << config.error();
  sync::InitialLoader loader(conn(), *config, kit_, /*chunk=*/2);
  auto progress = loader.QueueAll();
  ASSERT_TRUE(progress.has_value()) << progress.error();
  EXPECT_EQ(progress->queued, 5);
  change_capture::ChangeReader reader(conn(), kit_);
  std::vector<std::string> keys;
  std::string cursor;
  for (;;) {
    auto batch = reader.Next(cursor, 100);
    ASSERT_TRUE(batch.has_value()) << batch.error();
    if (batch->empty()) break;
    for (const auto& c : *batch) {
      if (c.mapping == "lines") keys.push_back(c.key_json);
      cursor = c.cursor;
    }
  }
  EXPECT_EQ(keys, (std::vector<std::string>{R"(["1","x"])", R"(["1","y"])", R"(["2","a"])",
                                            R"(["2","b"])", R"(["10","a"])"}));
  Exec("DROP TABLE push_lines");
}

INSTANTIATE_TEST_SUITE_P(Databases, PushTest, ::testing::Values(kPostgres, kMariaDb, kSqlite),
                         DatabaseName);

}  // namespace
}  // namespace zcrmsync::testing
