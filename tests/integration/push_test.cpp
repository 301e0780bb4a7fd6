// Push (ERP -> CRM) end to end on PostgreSQL, MariaDB and SQLite with the
// local Zoho emulator over loopback: creates as upserts on the external id,
// only changed fields on update, nothing for unmapped or unchanged data,
// deletes, a bad value parked while the rest syncs.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "change_capture/catalog.h"
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
#include "sync/plan.h"
#include "sync/push.h"
#include "sync/resolve.h"
#include "tests/integration/odbc_fixture.h"
#include "tests/integration/sync_fixture.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::testing {
namespace {

class PushTest : public SyncTest {
 protected:
  std::string CrashAfterZohoTookCreates();
  void ExpectCrashWindowSettled(const std::string& id7);
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

TEST_P(PushTest, NewCrmRecordsCreateErpRowsAndABadOneIsParked) {
  Exec("INSERT INTO push_customers (id, name) VALUES (100, 'Existing')");
  ASSERT_TRUE(pusher_->Drain().has_value());
  auto made = client_->Insert("Accounts", {crm::Record{{"Account_Name", crm::JsonValue("From CRM")},
                                                       {"Rating", crm::JsonValue("Active")}},
                                           crm::Record{{"Account_Name", crm::JsonValue("Bad tier")},
                                                       {"Rating", crm::JsonValue("Shut Down")}}});
  ASSERT_TRUE(made.has_value() && made->at(0).status.ok() && made->at(1).status.ok());
  auto pulled = puller_->RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->erp_created, 1);
  EXPECT_EQ(pulled->parked, 1);  // "Shut Down" has no ERP value in the mapping's values
  // The new row got its key from the database; Zoho learned it as ERP_Id.
  auto s = conn().Prepare("SELECT id, tier FROM push_customers WHERE name = 'From CRM'");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(s->Execute().has_value());
  ASSERT_THAT(s->Fetch(), IsOkAndHolds(true));
  auto id = s->GetInt64(1);
  ASSERT_TRUE(id.has_value() && id->has_value());
  EXPECT_NE(**id, 100);
  EXPECT_THAT(s->GetText(2), IsOkAndHolds(std::optional<std::string>("B")));
  ASSERT_THAT(s->CloseCursor(), IsOk());
  auto crm_row = Crm(std::to_string(**id));
  ASSERT_EQ(crm_row.size(), 1u);
  EXPECT_EQ(Str(crm_row[0], "Account_Name"), "From CRM");
  sync::LinkStore store(conn(), kit_);
  auto parked = store.ListParked();
  ASSERT_TRUE(parked.has_value());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ(parked->at(0).field, "Rating");
  EXPECT_EQ(parked->at(0).zoho_id, made->at(1).id);

  // The write-back was not captured, and more cycles write nothing anywhere.
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto q = pusher_->Drain();
    ASSERT_TRUE(q.has_value()) << q.error();
    EXPECT_EQ(q->changes, 0) << "cycle " << cycle;
    auto p = puller_->RunOnce();
    ASSERT_TRUE(p.has_value()) << p.error();
    EXPECT_EQ(p->erp_created + p->erp_updated + p->crm_updated, 0) << "cycle " << cycle;
  }

  // The operator maps the missing value and retries the parked record: the
  // next pull fetches it again, unchanged in Zoho, and creates its row; once.
  mappings::Config fixed = *config_;
  fixed.mappings[0].fields[2].values["X"] = "Shut Down";
  fixed.mappings[0].fields[2].reverse_values["Shut Down"] = "X";
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  sync::Puller fixed_puller(conn(), fixed, kit_, *client_, {{"Accounts", *fields}});
  ASSERT_THAT(store.Retry(parked->at(0)), IsOk());
  // Later edits moved the watermark far past the record's last change, so
  // only the retry brings it back (not the pull's overlap window).
  ASSERT_THAT(change_capture::SaveState(conn(), kit_, "pull/customers/watermark", "2099-01-01 00:00:00"),
              IsOk());
  auto retried = fixed_puller.RunOnce();
  ASSERT_TRUE(retried.has_value()) << retried.error();
  EXPECT_EQ(retried->erp_created, 1);
  EXPECT_EQ(retried->parked, 0);
  auto bad = conn().Prepare("SELECT tier FROM push_customers WHERE name = 'Bad tier'");
  ASSERT_TRUE(bad.has_value());
  ASSERT_TRUE(bad->Execute().has_value());
  ASSERT_THAT(bad->Fetch(), IsOkAndHolds(true));
  EXPECT_THAT(bad->GetText(1), IsOkAndHolds(std::optional<std::string>("X")));
  ASSERT_THAT(bad->CloseCursor(), IsOk());
  EXPECT_THAT(change_capture::ListStates(conn(), kit_, sync::RefetchStatePrefix("customers")),
              IsOkAndHolds(std::map<std::string, std::string>()));
  auto after = fixed_puller.RunOnce();
  ASSERT_TRUE(after.has_value()) << after.error();
  EXPECT_EQ(after->erp_created + after->erp_updated + after->parked, 0);
}

TEST_P(PushTest, MatchFieldsLinkExistingRecordsBothWaysAndHoldAmbiguousOnes) {
  mappings::Config matching = *config_;
  matching.mappings[0].match_fields = {{"name", "Account_Name"}};
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), matching, kit_, *client_, meta);
  sync::Puller puller(conn(), matching, kit_, *client_, meta);
  // In the CRM before the agent ever ran: Acme, Beta, and Dup twice.
  auto made = client_->Insert(
      "Accounts", {crm::Record{{"Account_Name", crm::JsonValue("Acme")}, {"Website", crm::JsonValue("acme.example")}},
                   crm::Record{{"Account_Name", crm::JsonValue("Beta")}},
                   crm::Record{{"Account_Name", crm::JsonValue("Dup")}},
                   crm::Record{{"Account_Name", crm::JsonValue("Dup")}}});
  ASSERT_TRUE(made.has_value());
  // In the ERP: Acme and Beta (one row each), Solo (no CRM record).
  Exec("INSERT INTO push_customers (id, name, tier) VALUES (101, 'Acme', 'A'), (102, 'Beta', NULL), "
       "(103, 'Solo', NULL)");
  // The push links rows 101 and 102 instead of creating them, creates Solo.
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->matched, 2);
  EXPECT_EQ(pushed->created, 1);
  ASSERT_EQ(Crm("101").size(), 1u);
  EXPECT_EQ(Str(Crm("101")[0], "id"), made->at(0).id);
  EXPECT_EQ(Str(Crm("101")[0], "Rating"), "Acquired");
  EXPECT_EQ(Str(Crm("102")[0], "id"), made->at(1).id);
  // The pull: the first Dup record creates an ERP row; the second then
  // matches that row, which is linked already: held as a likely duplicate.
  auto pulled = puller.RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->erp_created, 1);
  EXPECT_EQ(pulled->held, 1);
  // A new ERP row named like both Dup records: ambiguous, held, not guessed.
  Exec("INSERT INTO push_customers (id, name) VALUES (150, 'Dup')");
  auto held = pusher.Drain();
  ASSERT_TRUE(held.has_value()) << held.error();
  EXPECT_EQ(held->held, 1);
  EXPECT_EQ(held->created, 0);
  sync::LinkStore store(conn(), kit_);
  auto conflicts = store.ListConflicts();
  ASSERT_TRUE(conflicts.has_value());
  ASSERT_EQ(conflicts->size(), 2u);
  EXPECT_EQ(conflicts->at(1).field, sync::kMatchConflictField);
  EXPECT_EQ(conflicts->at(1).erp_key, "[\"150\"]");
  // A CRM record matching two ERP rows is held the same way; so is the
  // second of two rows matching one CRM record in one batch.
  Exec("INSERT INTO push_customers (id, name) VALUES (160, 'Twin'), (161, 'Twin')");
  auto twin = client_->Insert("Accounts", {crm::Record{{"Account_Name", crm::JsonValue("Twin")}}});
  ASSERT_TRUE(twin.has_value() && twin->at(0).status.ok());
  auto twin_pull = puller.RunOnce();
  ASSERT_TRUE(twin_pull.has_value()) << twin_pull.error();
  EXPECT_GE(twin_pull->held, 1);  // (the Dup records are looked at again, too)
  EXPECT_EQ(twin_pull->erp_created, 0);
  auto twin_push = pusher.Drain();
  ASSERT_TRUE(twin_push.has_value()) << twin_push.error();
  EXPECT_EQ(twin_push->matched, 1);
  EXPECT_EQ(twin_push->held, 1);
  auto all = store.ListConflicts();
  ASSERT_TRUE(all.has_value());
  bool twin_held = false;
  for (const auto& c : *all) {
    twin_held |= c.zoho_id == twin->at(0).id && c.erp_key == "[\"160\"],[\"161\"]";
  }
  EXPECT_TRUE(twin_held);
  auto total = client_->Coql("select id from Accounts where Account_Name = 'Acme' limit 10");
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(total->rows.size(), 1u) << "Acme was duplicated";
}

TEST_P(PushTest, StaleUpdatesAreReconciledAndLatestWinsUsesTheErpChangeTime) {
  mappings::Config latest = *config_;
  latest.sync.clock_skew_tolerance_seconds = 0;
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), latest, kit_, *client_, meta);
  sync::Puller puller(conn(), latest, kit_, *client_, meta);
  // Records synced at different times: one If-Unmodified-Since per call is
  // stale for some of them (Zoho: 412), which must not fail or park them.
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'One'), (2, 'Two')");
  ASSERT_TRUE(pusher.Drain().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Exec("INSERT INTO push_customers (id, name) VALUES (3, 'Three')");
  ASSERT_TRUE(pusher.Drain().has_value());
  Exec("UPDATE push_customers SET site = 'bulk.example'");
  auto bulk = pusher.Drain();
  ASSERT_TRUE(bulk.has_value()) << bulk.error();
  EXPECT_EQ(bulk->updated, 3);
  EXPECT_EQ(bulk->parked, 0);
  for (const char* id : {"1", "2", "3"}) EXPECT_EQ(Str(Crm(id)[0], "Website"), "bulk.example") << id;

  // Same field on both sides, the pull running first. Row 1: the CRM edit is
  // older than the ERP edit; row 2: newer. The later edit wins both times.
  auto crm_edit = [&](const std::string& id, const std::string& name) {
    auto r = client_->Update("Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId(id))},
                                                      {"Account_Name", crm::JsonValue(name)}}});
    ASSERT_TRUE(r.has_value() && r->at(0).status.ok());
  };
  // (Zoho's times have whole seconds: edits a second apart are told apart.)
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  crm_edit("1", "One (CRM, older)");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Exec("UPDATE push_customers SET name = 'One (ERP, newer)' WHERE id = 1");
  Exec("UPDATE push_customers SET name = 'Two (ERP, older)' WHERE id = 2");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  crm_edit("2", "Two (CRM, newer)");
  auto pulled = puller.RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->deferred, 2);
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->reconciled, 2);
  EXPECT_EQ(ErpName(1), "One (ERP, newer)");
  EXPECT_EQ(Str(Crm("1")[0], "Account_Name"), "One (ERP, newer)");
  EXPECT_EQ(ErpName(2), "Two (CRM, newer)");
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "Two (CRM, newer)");
  // Converged: nothing more to write on either side.
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto p = puller.RunOnce();
    ASSERT_TRUE(p.has_value()) << p.error();
    EXPECT_EQ(p->erp_updated + p->crm_updated + p->deferred, 0) << "cycle " << cycle;
    auto q = pusher.Drain();
    ASSERT_TRUE(q.has_value()) << q.error();
    EXPECT_EQ(q->changes, 0) << "cycle " << cycle;
  }
}

TEST_P(PushTest, ACrashBetweenUpsertAndCommitLosesNothing) {
  // As if the agent died after Zoho took its upserts and before it committed
  // the links: the records carry ERP_Id, the changes are still pending.
  Exec("INSERT INTO push_customers (id, name) VALUES (7, 'Seven'), (8, 'Eight')");
  auto made = client_->Insert("Accounts", {crm::Record{{"Account_Name", crm::JsonValue("Seven")},
                                                       {"ERP_Id", crm::JsonValue("7")}},
                                           crm::Record{{"Account_Name", crm::JsonValue("Eight")},
                                                       {"ERP_Id", crm::JsonValue("8")}}});
  ASSERT_TRUE(made.has_value() && made->at(0).status.ok() && made->at(1).status.ok());
  Exec("DELETE FROM push_customers WHERE id = 8");  // deleted before the agent came back
  // The pull re-links 7 by its external id and never re-creates 8.
  auto pulled = puller_->RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->erp_created, 0);
  EXPECT_EQ(ErpName(8), "<no row>");
  // The push: 7 is unchanged (no second record), 8's delete reaches Zoho.
  auto pushed = pusher_->Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 0);
  EXPECT_EQ(pushed->deleted, 1);
  ASSERT_EQ(Crm("7").size(), 1u);
  EXPECT_EQ(Str(Crm("7")[0], "id"), made->at(0).id);
  EXPECT_TRUE(Crm("8").empty());
  sync::LinkStore store(conn(), kit_);
  auto link = store.Load("customers", "[\"7\"]");
  ASSERT_TRUE(link.has_value() && link->has_value());
  EXPECT_EQ((*link)->zoho_id, made->at(0).id);
}

// Forwards every call to Zoho, but loses the answer to each upsert: as if
// the agent died after Zoho took the records and before it saw the reply.
class UpsertAnswerLost : public crm::HttpTransport {
 public:
  explicit UpsertAnswerLost(crm::HttpTransport& inner) : inner_(inner) {}
  std::vector<Result<crm::HttpResponse>> SendAll(std::vector<crm::HttpRequest> requests,
                                                 int max_in_flight, const Prepare& prepare) override {
    std::vector<bool> lost;
    for (const auto& r : requests) lost.push_back(r.url.find("/upsert") != std::string::npos);
    auto out = inner_.SendAll(std::move(requests), max_in_flight, prepare);
    for (size_t i = 0; i < out.size(); ++i) {
      if (lost[i]) out[i] = Error(UnavailableError("connection lost after the request was sent"));
    }
    return out;
  }

 private:
  crm::HttpTransport& inner_;
};

// As if the agent died after Zoho took the creates of 7, 8 and 9 and before
// the push landed them; then, within the same second, a CRM edit of 7's
// name, an ERP edit of 9's site (another field), and 8's row deleted.
// Returns 7's Zoho id.
std::string PushTest::CrashAfterZohoTookCreates() {
  Exec("INSERT INTO push_customers (id, name, site) VALUES (7, 'Seven', 'seven.example'), "
       "(8, 'Eight', 'eight.example'), (9, 'Nine', 'nine.example')");
  UpsertAnswerLost lossy(*transport_);
  crm::ClientOptions once;
  once.retry.max_attempts = 1;
  crm::ZohoClient crashing(once, *auth_, lossy, SystemClock());
  auto fields = client_->Fields("Accounts");
  EXPECT_TRUE(fields.has_value()) << fields.error();
  if (!fields) return "";
  sync::Pusher doomed(conn(), *config_, kit_, crashing,
                      std::map<std::string, std::vector<crm::FieldInfo>>{{"Accounts", *fields}});
  auto failed = doomed.Drain();
  EXPECT_FALSE(failed.has_value());
  if (failed) return "";
  EXPECT_EQ(failed.error().code(), StatusCode::kUnavailable) << failed.error();
  for (const char* id : {"7", "8", "9"}) EXPECT_EQ(Crm(id).size(), 1u) << id;
  // The push wrote each create's link before the call: no Zoho id yet.
  sync::LinkStore store(conn(), kit_);
  auto ahead = store.Load("customers", "[\"7\"]");
  EXPECT_TRUE(ahead.has_value() && ahead->has_value()) << "no link written ahead";
  if (ahead.has_value() && ahead->has_value()) {
    EXPECT_EQ((*ahead)->zoho_id, std::nullopt);
  }

  const std::string id7 = ZohoId("7");
  auto edited = client_->Update("Accounts", {crm::Record{{"id", crm::JsonValue(id7)},
                                                         {"Account_Name", crm::JsonValue("Seven (CRM)")}}});
  EXPECT_TRUE(edited.has_value() && edited->at(0).status.ok());
  Exec("UPDATE push_customers SET site = 'nine.erp.example' WHERE id = 9");
  Exec("DELETE FROM push_customers WHERE id = 8");
  return id7;
}

// After CrashAfterZohoTookCreates and a sync: 8 is gone from Zoho, 7 holds
// the CRM edit on both sides and is linked to `id7`, 9 has the ERP edit,
// and nothing more is written on either side.
void PushTest::ExpectCrashWindowSettled(const std::string& id7) {
  EXPECT_TRUE(Crm("8").empty());
  ASSERT_EQ(Crm("7").size(), 1u);
  EXPECT_EQ(Str(Crm("7")[0], "Account_Name"), "Seven (CRM)");
  EXPECT_EQ(ErpName(7), "Seven (CRM)");
  ASSERT_EQ(Crm("9").size(), 1u);
  EXPECT_EQ(Str(Crm("9")[0], "Website"), "nine.erp.example");
  sync::LinkStore store(conn(), kit_);
  auto link = store.Load("customers", "[\"7\"]");
  ASSERT_TRUE(link.has_value() && link->has_value());
  EXPECT_EQ((*link)->zoho_id, id7);
  auto p = puller_->RunOnce();
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->erp_updated + p->crm_updated + p->deferred + p->conflicts, 0);
  auto q = pusher_->Drain();
  ASSERT_TRUE(q.has_value()) << q.error();
  EXPECT_EQ(q->created + q->updated + q->deleted, 0);
}

TEST_P(PushTest, ACrmEditInTheCrashWindowOfACreateIsKept) {
  const std::string id7 = CrashAfterZohoTookCreates();
  ASSERT_FALSE(id7.empty());
  // The pull adopts the links written ahead and merges against their base:
  // the CRM edit is a change, not a conflict a tie would give to the ERP.
  auto pulled = puller_->RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(pulled->relinked, 2);
  EXPECT_EQ(pulled->erp_created, 0);
  EXPECT_EQ(pulled->conflicts, 0);
  EXPECT_EQ(ErpName(7), "Seven (CRM)");
  // The push: nothing created twice, 9's site sent, 8's delete reaches Zoho.
  auto pushed = pusher_->Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 0);
  EXPECT_EQ(pushed->deleted, 1);
  ExpectCrashWindowSettled(id7);
}

TEST_P(PushTest, APushAloneAfterTheCrashWindowKeepsTheCrmEdit) {
  const std::string id7 = CrashAfterZohoTookCreates();
  ASSERT_FALSE(id7.empty());
  // No pull first (`zcrmsync push`): the push finds 7 and 9 in Zoho by their
  // external ids and merges each with its record against the base written
  // ahead: 7's CRM edit goes to the ERP, 9's ERP edit to Zoho; nothing is
  // overwritten (an update with If-Unmodified-Since would not see an edit
  // made within the second of the creation).
  auto pushed = pusher_->Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 0);
  EXPECT_EQ(pushed->deleted, 1);
  EXPECT_EQ(pushed->reconciled, 2);
  ExpectCrashWindowSettled(id7);
}

TEST_P(PushTest, AStopTakesBackTheLinksOfAPassPreparedButNotSent) {
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'One')");
  Exec("INSERT INTO push_customers (id, name) VALUES (2, 'Two')");
  sync::PushOptions options;
  options.batch = 1;
  int asked = 0;
  // Asked before each pass: the second is prepared ahead (its link written
  // ahead) while the first is in flight, then the stop comes.
  options.should_stop = [&] { return ++asked > 1; };
  sync::Pusher stopping(conn(), *config_, kit_, *client_, Fields(), options);
  auto first = stopping.Drain();
  ASSERT_TRUE(first.has_value()) << first.error();
  EXPECT_EQ(first->created, 1);
  EXPECT_TRUE(Crm("2").empty());
  sync::LinkStore store(conn(), kit_);
  EXPECT_THAT(store.Load("customers", "[\"2\"]"), IsOkAndHolds(std::optional<sync::Link>()));
  // The next run creates 2 with one call: no lookup of a create that never
  // went out.
  auto rest = pusher_->Drain();
  ASSERT_TRUE(rest.has_value()) << rest.error();
  EXPECT_EQ(rest->created, 1);
  EXPECT_EQ(rest->zoho_calls, 1);
  EXPECT_EQ(Crm("2").size(), 1u);
}

TEST_P(PushTest, SoftDeletesGoBothWays) {
  mappings::Config soft = *config_;
  soft.mappings[0].deletes = {mappings::DeleteKind::kSoftDelete, "gone"};
  ASSERT_THAT(change_capture::Uninstall(conn(), kit_, tables_), IsOk());
  Exec("ALTER TABLE push_customers ADD gone integer");
  ASSERT_THAT(change_capture::Install(conn(), kit_, change_capture::CaptureTablesFor(soft)), IsOk());
  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), soft, kit_, *client_, meta);
  sync::Puller puller(conn(), soft, kit_, *client_, meta);
  Exec("INSERT INTO push_customers (id, name, gone) VALUES (1, 'One', 0), (2, 'Two', NULL)");
  ASSERT_TRUE(pusher.Drain().has_value());
  const std::string two = ZohoId("2");
  // ERP: setting the marker deletes the CRM record; the row stays.
  Exec("UPDATE push_customers SET gone = 1 WHERE id = 1");
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->deleted, 1);
  EXPECT_TRUE(Crm("1").empty());
  EXPECT_EQ(ErpName(1), "One");
  // CRM: a delete sets the marker instead of deleting the row, uncaptured.
  auto del = client_->Delete("Accounts", {two});
  ASSERT_TRUE(del.has_value() && del->at(0).status.ok());
  auto pulled = puller.RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  EXPECT_EQ(ErpName(2), "Two");
  auto s = conn().Prepare("SELECT gone FROM push_customers WHERE id = 2");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(s->Execute().has_value());
  ASSERT_THAT(s->Fetch(), IsOkAndHolds(true));
  EXPECT_THAT(s->GetInt64(1), IsOkAndHolds(std::optional<int64_t>(1)));
  ASSERT_THAT(s->CloseCursor(), IsOk());
  auto after = pusher.Drain();
  ASSERT_TRUE(after.has_value()) << after.error();
  EXPECT_EQ(after->changes, 0) << "the marker write was captured";
  ASSERT_THAT(change_capture::Uninstall(conn(), kit_, change_capture::CaptureTablesFor(soft)), IsOk());
  ASSERT_THAT(change_capture::Install(conn(), kit_, tables_), IsOk());
}

// Zoho's clock running 30 s ahead of the database's.
class AheadClock : public Clock {
 public:
  TimePoint Now() override { return SystemClock().Now() + std::chrono::seconds(30); }
  std::chrono::steady_clock::time_point SteadyNow() override { return SystemClock().SteadyNow(); }
  void SleepFor(Duration d) override { SystemClock().SleepFor(d); }
};

TEST_P(PushTest, LatestWinsCorrectsForZohosClockSkew) {
  AheadClock ahead;
  emulator::Options o;
  o.clock = &ahead;
  auto emu = emulator::Emulator::Create(o);
  ASSERT_TRUE(emu.has_value()) << emu.error();
  ASSERT_TRUE((*emu)->Start().has_value());
  crm::AuthOptions a;
  a.client_id = o.client_id;
  a.client_secret = o.client_secret;
  a.refresh_token = o.refresh_token;
  a.accounts_url = (*emu)->base_url();
  a.api_base_url = (*emu)->base_url();
  crm::ZohoAuth auth(a, *transport_, SystemClock());
  crm::ZohoClient client(crm::ClientOptions{}, auth, *transport_, SystemClock());
  auto fields = client.Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  const std::map<std::string, std::vector<crm::FieldInfo>> meta{{"Accounts", *fields}};
  sync::Pusher pusher(conn(), *config_, kit_, client, meta);
  sync::Puller puller(conn(), *config_, kit_, client, meta);
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'One')");
  ASSERT_TRUE(pusher.Drain().has_value());
  auto found = client.Coql("select id from Accounts where ERP_Id = '1'");
  ASSERT_TRUE(found.has_value() && found->rows.size() == 1);
  const std::string id = found->rows[0].at("id").as_string();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // The CRM edit first (stamped 30 s ahead), the ERP edit 3 s later: without
  // the correction the CRM edit would look 27 s newer and win.
  auto edit = client.Update("Accounts", {crm::Record{{"id", crm::JsonValue(id)},
                                                     {"Account_Name", crm::JsonValue("CRM first")}}});
  ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  Exec("UPDATE push_customers SET name = 'ERP later' WHERE id = 1");
  ASSERT_TRUE(puller.RunOnce().has_value());
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->reconciled, 1);
  EXPECT_EQ(ErpName(1), "ERP later");
  auto after = client.Coql("select Account_Name from Accounts where ERP_Id = '1'");
  ASSERT_TRUE(after.has_value() && after->rows.size() == 1);
  EXPECT_EQ(Str(after->rows[0], "Account_Name"), "ERP later");
  (*emu)->Stop();
}

TEST_P(PushTest, PlanForetellsTheNextCycleAndWritesNothing) {
  Exec("INSERT INTO push_customers (id, name) VALUES (101, 'One'), (102, 'Two'), (103, 'Three')");
  ASSERT_TRUE(pusher_->Drain().has_value());
  Exec("UPDATE push_customers SET name = 'One (ERP)' WHERE id = 101");
  Exec("INSERT INTO push_customers (id, name) VALUES (104, 'Four')");
  Exec("DELETE FROM push_customers WHERE id = 103");
  auto edit = client_->Update("Accounts", {crm::Record{{"id", crm::JsonValue(ZohoId("102"))},
                                                       {"Account_Name", crm::JsonValue("Two (CRM)")}}});
  ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  auto made = client_->Insert("Accounts", {crm::Record{{"Account_Name", crm::JsonValue("New in CRM")}}});
  ASSERT_TRUE(made.has_value() && made->at(0).status.ok());
  const auto calls_before = client_->stats().calls;

  auto fields = client_->Fields("Accounts");
  ASSERT_TRUE(fields.has_value());
  sync::Planner planner(conn(), *config_, kit_, *client_, {{"Accounts", *fields}}, "UTC");
  auto plans = planner.Plan();
  ASSERT_TRUE(plans.has_value()) << plans.error();
  const sync::MappingPlan& p = plans->at("customers");
  auto find = [&](const std::string& direction, const std::string& action, const std::string& key) {
    for (const auto& a : p.actions) {
      if (a.direction == direction && a.action == action && (key.empty() || a.erp_key == key)) return &a;
    }
    return static_cast<const sync::PlannedAction*>(nullptr);
  };
  const auto* update = find("erp_to_crm", "update", "[\"101\"]");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->detail, "Account_Name");
  EXPECT_NE(find("erp_to_crm", "create", "[\"104\"]"), nullptr);
  EXPECT_NE(find("erp_to_crm", "delete", "[\"103\"]"), nullptr);
  const auto* pulled = find("crm_to_erp", "update", "[\"102\"]");
  ASSERT_NE(pulled, nullptr);
  EXPECT_EQ(pulled->detail, "ERP columns name");
  const auto* created = find("crm_to_erp", "create", "");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->zoho_id, made->at(0).id);
  EXPECT_EQ(p.counts.at("update"), 2);

  // Nothing was written: no Zoho write call, the ERP and the cursor as they were.
  auto calls = client_->stats().calls - calls_before;
  EXPECT_LE(calls, 4) << "more than the reads (list, deleted)";
  EXPECT_EQ(ErpName(102), "Two");
  EXPECT_EQ(Str(Crm("101")[0], "Account_Name"), "One");
  EXPECT_EQ(Crm("104").size(), 0u);
  // The real cycle then does what the plan said.
  auto real_pull = puller_->RunOnce();
  ASSERT_TRUE(real_pull.has_value()) << real_pull.error();
  EXPECT_EQ(real_pull->erp_updated, 1);
  EXPECT_EQ(real_pull->erp_created, 1);
  auto real_push = pusher_->Drain();
  ASSERT_TRUE(real_push.has_value()) << real_push.error();
  EXPECT_EQ(real_push->created, 1);
  EXPECT_EQ(real_push->updated, 1);
  EXPECT_EQ(real_push->deleted, 1);
}

TEST_P(PushTest, LookupsResolveThroughTheLinksBothWays) {
  auto config = InstallContacts(/*contacts_first=*/true);
  ASSERT_TRUE(config.has_value());
  const auto meta = ContactsMetadata();
  ASSERT_EQ(meta.size(), 2u);
  sync::Pusher pusher(conn(), *config, kit_, *client_, meta);
  sync::Puller puller(conn(), *config, kit_, *client_, meta);
  // The contact is captured before its customer, and its mapping is listed
  // first: the push still goes customers first (contacts look them up), so
  // the lookup resolves.
  Exec("INSERT INTO push_contacts (id, last_name, customer_id) VALUES (10, 'Ten', 1), (11, 'Eleven', 99)");
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'One'), (2, 'Two')");
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 3);
  EXPECT_EQ(pushed->parked, 1);  // contact 11: customer 99 is not in Zoho
  // Zoho's calls are counted per mapping, and add up to the total.
  EXPECT_GE(pushed->by_mapping.at("customers").zoho_calls, 1);
  EXPECT_GE(pushed->by_mapping.at("contacts").zoho_calls, 1);
  EXPECT_EQ(pushed->by_mapping.at("customers").zoho_calls + pushed->by_mapping.at("contacts").zoho_calls,
            pushed->zoho_calls);
  sync::LinkStore store(conn(), kit_);
  auto parked = store.ListParked();
  ASSERT_TRUE(parked.has_value() && parked->size() == 1);
  EXPECT_NE(parked->at(0).message.find("row [\"99\"] of mapping customers is not in Zoho yet"),
            std::string::npos) << parked->at(0).message;
  auto ten = client_->Coql("select id, Account_Name from Contacts where ERP_Id = '10'");
  ASSERT_TRUE(ten.has_value() && ten->rows.size() == 1);
  const crm::JsonValue* account = ten->rows[0].at("Account_Name").Find("id");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->as_string(), ZohoId("1"));
  // The CRM moves the contact to customer 2: the ERP row follows.
  auto edit = client_->Update(
      "Contacts", {crm::Record{{"id", ten->rows[0].at("id")},
                               {"Account_Name", crm::JsonValue(crm::JsonValue::Object{{"id", crm::JsonValue(ZohoId("2"))}})}}});
  ASSERT_TRUE(edit.has_value() && edit->at(0).status.ok());
  auto pulled = puller.RunOnce();
  ASSERT_TRUE(pulled.has_value()) << pulled.error();
  auto s = conn().Prepare("SELECT customer_id FROM push_contacts WHERE id = 10");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(s->Execute().has_value());
  ASSERT_THAT(s->Fetch(), IsOkAndHolds(true));
  EXPECT_THAT(s->GetInt64(1), IsOkAndHolds(std::optional<int64_t>(2)));
  ASSERT_THAT(s->CloseCursor(), IsOk());
  UninstallContacts(*config);
}

// Drain() prepares the next pass while one pass's calls are in flight. One
// change row a pass here, so each statement below is its own pass: a key in
// two passes in a row, and a contact whose customer is in the pass before,
// must each wait until the pass before has landed.
TEST_P(PushTest, PipelinedPassesWaitForTheKeysAndLookupsInFlight) {
  auto config = InstallContacts(/*contacts_first=*/false);
  ASSERT_TRUE(config.has_value());
  const auto meta = ContactsMetadata();
  ASSERT_EQ(meta.size(), 2u);
  sync::PushOptions options;
  options.batch = 1;
  sync::Pusher pusher(conn(), *config, kit_, *client_, meta, options);
  Exec("INSERT INTO push_customers (id, name) VALUES (1, 'One')");
  Exec("INSERT INTO push_customers (id, name) VALUES (2, 'Two')");    // disjoint: prepared ahead
  Exec("UPDATE push_customers SET name = 'Two b' WHERE id = 2");      // key 2 again, next pass
  Exec("INSERT INTO push_customers (id, name) VALUES (3, 'Three')");
  Exec("INSERT INTO push_contacts (id, last_name, customer_id) VALUES (30, 'Thirty', 3)");
  Exec("UPDATE push_customers SET name = 'One b' WHERE id = 1");
  Exec("UPDATE push_customers SET name = 'One c' WHERE id = 1");
  const crm::ClientStats before = client_->stats();
  auto pushed = pusher.Drain();
  ASSERT_TRUE(pushed.has_value()) << pushed.error();
  EXPECT_EQ(pushed->created, 4);   // customers 1, 2, 3 and contact 30, once each
  // Each pass reads the row as it is now: the later passes of keys 1 and 2
  // find their landed links and nothing new to send.
  EXPECT_EQ(pushed->updated, 0);
  EXPECT_EQ(pushed->unchanged, 3);
  EXPECT_EQ(pushed->parked, 0);    // the contact's customer was linked in time
  EXPECT_EQ(pushed->changes, 7);
  EXPECT_EQ(pushed->by_mapping.at("customers").zoho_calls + pushed->by_mapping.at("contacts").zoho_calls,
            client_->stats().calls - before.calls);
  EXPECT_EQ(pushed->by_mapping.at("contacts").zoho_calls, 1);
  EXPECT_EQ(Crm("1").size(), 1u);
  EXPECT_EQ(Str(Crm("1")[0], "Account_Name"), "One c");
  EXPECT_EQ(Str(Crm("2")[0], "Account_Name"), "Two b");
  auto thirty = client_->Coql("select id, Account_Name from Contacts where ERP_Id = '30'");
  ASSERT_TRUE(thirty.has_value() && thirty->rows.size() == 1);
  const crm::JsonValue* account = thirty->rows[0].at("Account_Name").Find("id");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->as_string(), ZohoId("3"));
  // Nothing is left over: a second drain sends nothing.
  auto again = pusher.Drain();
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(again->changes, 0);
  UninstallContacts(*config);
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
