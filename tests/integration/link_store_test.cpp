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
