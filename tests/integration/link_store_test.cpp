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

TEST_P(LinkStoreTest, InsertsAndLoadsManyLinksAcrossStatementChunks) {
  sync::LinkStore store(conn(), kit_);
  // 450 links: three INSERT chunks (200 a statement), times with microseconds.
  std::vector<sync::Link> links;
  std::vector<std::string> keys;
  for (int i = 0; i < 450; ++i) {
    const std::string n = std::to_string(i);
    sync::Link l{"customers", "[\"" + n + "\"]", "57257670000" + std::to_string(100000 + i), n,
                 R"({"Account_Name":"\"Zoë )" + n + R"(\""})", Timestamp{2026, 3, 29, 1, 30, 15, i},
                 std::nullopt};
    if (i % 3 == 0) l.crm_modified_at = Timestamp{2026, 3, 29, 1, 31, 0, 0};
    keys.push_back(l.erp_key);
    links.push_back(std::move(l));
  }
  ASSERT_THAT(store.InsertMany(links), IsOk());
  // Keys of another mapping and unlinked keys come back absent.
  ASSERT_THAT(store.Save({"contacts", "[\"7\"]", "999", "7", "{}", std::nullopt, std::nullopt}), IsOk());
  keys.push_back("[\"7\"]");
  keys.push_back("[\"no such key\"]");
  auto loaded = store.LoadMany("customers", keys);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  ASSERT_EQ(loaded->size(), 450u);
  for (const sync::Link& l : links) {
    auto it = loaded->find(l.erp_key);
    ASSERT_NE(it, loaded->end()) << l.erp_key;
    EXPECT_EQ(it->second, l) << l.erp_key;
  }
  EXPECT_THAT(store.LoadMany("customers", {}), IsOkAndHolds(std::map<std::string, sync::Link>()));

  // A key already linked fails the insert; the error names the mapping.
  auto again = store.InsertMany({links[5]});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument) << again;
  EXPECT_NE(again.message().find("customers"), std::string::npos) << again;
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
}

INSTANTIATE_TEST_SUITE_P(Databases, LinkStoreTest, ::testing::Values(kPostgres, kMariaDb, kSqlite),
                         DatabaseName);

}  // namespace
}  // namespace zcrmsync::testing
