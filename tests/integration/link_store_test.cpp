// The link store and the dead letter on real PostgreSQL, MariaDB and SQLite.
#include <gtest/gtest.h>

#include "change_capture/installer.h"
#include "change_capture/sql_kit.h"
#include "sync/link_store.h"
#include "tests/integration/odbc_fixture.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::testing {
namespace {

using change_capture::Dialect;

class LinkStoreTest : public OdbcFixture {
 protected:
  void SetUp() override {
    OdbcFixture::SetUp();
    if (IsSkipped()) return;
    kit_ = {is(kPostgres) ? Dialect::kPostgreSQL : is(kMariaDb) ? Dialect::kMySQL : Dialect::kSQLite,
            "zcrmsync_ls"};
    auto uninstall = change_capture::RenderUninstall(kit_, {});
    ASSERT_THAT(change_capture::ApplyScript(conn(), *uninstall), IsOk());
    auto install = change_capture::RenderInstall(kit_, {});
    ASSERT_THAT(change_capture::ApplyScript(conn(), *install), IsOk());
  }
  void TearDown() override {
    if (conn_) (void)change_capture::ApplyScript(conn(), *change_capture::RenderUninstall(kit_, {}));
  }
  change_capture::KitOptions kit_;
};

TEST_P(LinkStoreTest, SavesLoadsUpdatesFindsAndDeletesLinks) {
  sync::LinkStore store(conn(), kit_);
  EXPECT_THAT(store.Load("customers", "[\"1\"]"), IsOkAndHolds(std::optional<sync::Link>()));
  const Timestamp erp_at{2026, 3, 29, 1, 30, 15, 123456};
  const Timestamp crm_at{2026, 3, 29, 1, 30, 16, 0};
  sync::Link link{"customers", "[\"1\"]", "5725767000000123001", "1",
                  R"({"Account_Name":"\"Zoë 東京\""})", erp_at, crm_at};
  ASSERT_THAT(store.Save(link), IsOk());
  auto loaded = store.Load("customers", "[\"1\"]");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value()) << (loaded ? "none" : loaded.error().ToString());
  EXPECT_EQ((*loaded)->zoho_id, link.zoho_id);
  EXPECT_EQ((*loaded)->external_id, link.external_id);
  EXPECT_EQ((*loaded)->base_values, link.base_values);
  EXPECT_EQ((*loaded)->erp_changed_at, erp_at);  // microseconds and UTC kept
  EXPECT_EQ((*loaded)->crm_modified_at, crm_at);

  link.base_values = "{}";
  link.crm_modified_at = std::nullopt;
  ASSERT_THAT(store.Save(link), IsOk());  // an update, not a second row
  auto found = store.FindByZohoId("customers", "5725767000000123001");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->erp_key, "[\"1\"]");
  EXPECT_EQ((*found)->base_values, "{}");
  EXPECT_EQ((*found)->crm_modified_at, std::nullopt);

  // One Zoho record cannot be linked to two ERP rows.
  sync::Link twin = link;
  twin.erp_key = "[\"2\"]";
  EXPECT_THAT(store.Save(twin), StatusIs(StatusCode::kInvalidArgument));

  ASSERT_THAT(store.Delete("customers", "[\"1\"]"), IsOk());
  EXPECT_THAT(store.Load("customers", "[\"1\"]"), IsOkAndHolds(std::optional<sync::Link>()));
}

TEST_P(LinkStoreTest, SavesAndLoadsManyLinksAcrossStatementChunks) {
  sync::LinkStore store(conn(), kit_);
  // 450 links: three statements (200 a statement), times with microseconds.
  std::vector<sync::Link> links;
  std::vector<std::string> keys;
  for (int i = 0; i < 450; ++i) {
    const std::string n = std::to_string(i);
    sync::Link l{"customers", "[\"" + n + "\"]", "57257670000" + std::to_string(100000 + i), n,
                 R"({"Account_Name":"\"Zoë )" + n + R"(\""})", Timestamp{2026, 3, 29, 1, 30, 15, i},
                 std::nullopt};
    if (i % 3 == 0) l.crm_modified_at = Timestamp{2026, 3, 29, 1, 31, 0, 0};
    // Written ahead of a create: no Zoho id yet, many of them side by side.
    if (i % 7 == 0) l.zoho_id.reset();
    keys.push_back(l.erp_key);
    links.push_back(std::move(l));
  }
  ASSERT_THAT(store.SaveMany(links), IsOk());
  // Keys of another mapping and unlinked keys come back absent.
  ASSERT_THAT(store.Save({"contacts", "[\"7\"]", "999", "7", "{}", std::nullopt, std::nullopt}), IsOk());
  keys.push_back("[\"7\"]");
  keys.push_back("[\"no such key\"]");
  auto expect_loaded = [&](const std::vector<sync::Link>& want) {
    auto loaded = store.LoadMany("customers", keys);
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    ASSERT_EQ(loaded->size(), want.size());
    for (const sync::Link& l : want) {
      auto it = loaded->find(l.erp_key);
      ASSERT_NE(it, loaded->end()) << l.erp_key;
      EXPECT_EQ(it->second, l) << l.erp_key;
    }
  };
  expect_loaded(links);
  EXPECT_THAT(store.LoadMany("customers", {}), IsOkAndHolds(std::map<std::string, sync::Link>()));

  // Saving again replaces: the links written ahead get their Zoho ids, the
  // rest new bases and times; a new key is added beside them.
  std::vector<sync::Link> again;
  for (int i = 0; i < 450; i += 2) {
    sync::Link l = links[i];
    if (!l.zoho_id) l.zoho_id = "57257670000" + std::to_string(100000 + i);
    l.base_values = R"({"Account_Name":"again"})";
    l.crm_modified_at = Timestamp{2026, 3, 30, 2, 0, 0, 0};
    links[i] = l;
    again.push_back(std::move(l));
  }
  links.push_back({"customers", "[\"450\"]", "5725767000099", "450", "{}", std::nullopt, std::nullopt});
  keys.push_back(links.back().erp_key);
  again.push_back(links.back());
  ASSERT_THAT(store.SaveMany(again), IsOk());
  expect_loaded(links);

  // A Zoho id linked to another key fails the statement, names the mapping,
  // and leaves the key that holds it alone (MySQL's upsert would otherwise
  // update that row).
  sync::Link twin = links[5];
  twin.erp_key = "[\"twin\"]";
  twin.base_values = "{}";
  auto clash = store.SaveMany({twin});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.code(), StatusCode::kInvalidArgument) << clash;
  EXPECT_NE(clash.message().find("customers"), std::string::npos) << clash;
  expect_loaded(links);
  EXPECT_THAT(store.Load("customers", twin.erp_key), IsOkAndHolds(std::optional<sync::Link>()));
}

TEST_P(LinkStoreTest, ParksAndListsRecords) {
  sync::LinkStore store(conn(), kit_);
  ASSERT_THAT(store.Park({0, "customers", "[\"7\"]", std::nullopt, "erp_to_crm", "INVALID_ARGUMENT",
                          "Phone", "push Accounts [\"7\"]: Zoho 400 INVALID_DATA Phone", 1}),
              IsOk());
  auto parked = store.ListParked();
  ASSERT_TRUE(parked.has_value()) << parked.error();
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ(parked->at(0).erp_key, "[\"7\"]");
  EXPECT_EQ(parked->at(0).field, "Phone");
  EXPECT_EQ(parked->at(0).zoho_id, std::nullopt);
  EXPECT_EQ(parked->at(0).status_code, "INVALID_ARGUMENT");
  EXPECT_GT(parked->at(0).error_id, 0);
  // Parked again while open (a pull re-reads its overlap each cycle): one
  // row that counts the attempts and shows the newest error.
  ASSERT_THAT(store.Park({0, "customers", "[\"7\"]", std::nullopt, "erp_to_crm", "INVALID_ARGUMENT",
                          "Fax", "push Accounts [\"7\"]: Zoho 400 INVALID_DATA Fax", 1}),
              IsOk());
  ASSERT_THAT(store.Park({0, "customers", std::nullopt, "4711", "crm_to_erp", "INVALID_ARGUMENT",
                          std::nullopt, "a new record refused", 1}),
              IsOk());
  ASSERT_THAT(store.Park({0, "customers", std::nullopt, "4711", "crm_to_erp", "INVALID_ARGUMENT",
                          std::nullopt, "a new record refused again", 1}),
              IsOk());
  parked = store.ListParked();
  ASSERT_TRUE(parked.has_value()) << parked.error();
  ASSERT_EQ(parked->size(), 2u);
  EXPECT_EQ(parked->at(0).attempts, 2);
  EXPECT_EQ(parked->at(0).field, "Fax");
  EXPECT_EQ(parked->at(1).attempts, 2);
  EXPECT_EQ(parked->at(1).message, "a new record refused again");
  // Once closed, a new failure opens a new row.
  ASSERT_THAT(store.Retry(parked->at(1)), IsOk());
  ASSERT_THAT(store.Park({0, "customers", std::nullopt, "4711", "crm_to_erp", "INVALID_ARGUMENT",
                          std::nullopt, "refused after the retry", 1}),
              IsOk());
  parked = store.ListParked();
  ASSERT_TRUE(parked.has_value()) << parked.error();
  ASSERT_EQ(parked->size(), 2u);
  EXPECT_EQ(parked->at(1).attempts, 1);
}

INSTANTIATE_TEST_SUITE_P(Databases, LinkStoreTest, ::testing::Values(kPostgres, kMariaDb, kSqlite),
                         DatabaseName);

}  // namespace
}  // namespace zcrmsync::testing
