// The failover lease (sync/lease.h) on real PostgreSQL, MariaDB and SQLite:
// two agents on two connections, only one holds; renewal keeps it; expiry by
// the database's clock lets the other take over; release hands it on at once.
// Plus the golden rendering of the lease statements for all four dialects
// (tests/lint/tsql_grammar.sh checks the SQL Server one).
#include "sync/lease.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "change_capture/installer.h"
#include "change_capture/sql_kit.h"
#include "tests/integration/odbc_fixture.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::testing {
namespace {

using change_capture::Dialect;
using std::chrono::seconds;

class LeaseTest : public OdbcFixture {
 protected:
  void SetUp() override {
    OdbcFixture::SetUp();
    if (IsSkipped()) return;
    kit_ = {is(kPostgres)  ? Dialect::kPostgreSQL
            : is(kMariaDb) ? Dialect::kMySQL
                           : Dialect::kSQLite,
            "zcrmsync_lease"};
    (void)change_capture::ApplyScript(conn(), *change_capture::RenderUninstall(kit_, {}));
    ASSERT_THAT(change_capture::ApplyScript(conn(), *change_capture::RenderInstall(kit_, {})),
                IsOk());
    auto second = Open();
    ASSERT_TRUE(second.has_value()) << second.error();
    other_.emplace(std::move(*second));
  }
  void TearDown() override {
    other_.reset();
    if (conn_)
      (void)change_capture::ApplyScript(conn(), *change_capture::RenderUninstall(kit_, {}));
  }
  change_capture::KitOptions kit_;
  std::optional<odbc::Connection> other_;
};

TEST_P(LeaseTest, OnlyOneHoldsRenewalKeepsItExpiryAndReleaseHandItOn) {
  sync::Lease a(conn(), kit_, {.duration = seconds(3), .holder = "host-a:1:aaaa"});
  sync::Lease b(*other_, kit_, {.duration = seconds(3), .holder = "host-b:2:bbbb"});
  EXPECT_THAT(a.Acquire(), IsOkAndHolds(true));
  EXPECT_TRUE(a.Valid());
  EXPECT_THAT(b.Acquire(), IsOkAndHolds(false));
  EXPECT_FALSE(b.Valid());
  EXPECT_EQ(b.last_seen_holder(), "host-a:1:aaaa");

  // Renewing every second for longer than the lease keeps it with a.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(850));
    EXPECT_THAT(a.Renew(std::chrono::milliseconds(0)), IsOkAndHolds(true)) << i;
    EXPECT_THAT(b.Acquire(), IsOkAndHolds(false)) << i;
  }

  // a stops renewing (it died): its own validity ends a third early, and the
  // database lets b in once the lease has expired by its clock.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(a.Valid());
  EXPECT_THAT(b.Acquire(), IsOkAndHolds(false));  // not expired yet for the database
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_THAT(b.Acquire(), IsOkAndHolds(true));
  EXPECT_EQ(b.last_seen_holder(), "host-b:2:bbbb");
  // a comes back: it has lost the lease and must not get it back.
  EXPECT_THAT(a.Renew(), IsOkAndHolds(false));
  EXPECT_EQ(a.last_seen_holder(), "host-b:2:bbbb");

  // A release hands the lease on at once; releasing someone else's does nothing.
  ASSERT_THAT(a.Release(), IsOk());
  EXPECT_THAT(a.Acquire(), IsOkAndHolds(false));
  ASSERT_THAT(b.Release(), IsOk());
  EXPECT_FALSE(b.Valid());
  EXPECT_THAT(a.Acquire(), IsOkAndHolds(true));
}

TEST_P(LeaseTest, RacingAgentsGetExactlyOneHolder) {
  // Both ask for a free lease at the same moment, many times over.
  for (int round = 0; round < 10; ++round) {
    sync::Lease a(conn(), kit_, {.duration = seconds(30), .holder = "a:" + std::to_string(round)});
    sync::Lease b(*other_, kit_, {.duration = seconds(30), .holder = "b:" + std::to_string(round)});
    Result<bool> got_a = false;
    Result<bool> got_b = false;
    std::thread ta([&] { got_a = a.Acquire(); });
    std::thread tb([&] { got_b = b.Acquire(); });
    ta.join();
    tb.join();
    ASSERT_TRUE(got_a.has_value()) << got_a.error();
    ASSERT_TRUE(got_b.has_value()) << got_b.error();
    EXPECT_NE(*got_a, *got_b) << "round " << round;
    (void)a.Release();
    (void)b.Release();
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, LeaseTest, ::testing::Values(kPostgres, kMariaDb, kSqlite),
                         DatabaseName);

// The lease statements as rendered for each dialect, in
// tests/data/golden/<dialect>/lease_statements.sql. After a deliberate change,
// regenerate with ZCRMSYNC_UPDATE_GOLDEN=1 and review the diff.
TEST(LeaseGoldenTest, LeaseStatementsMatchGoldenFiles) {
  for (Dialect d : {Dialect::kPostgreSQL, Dialect::kMySQL, Dialect::kSQLite, Dialect::kSqlServer}) {
    change_capture::Script script{d, {}};
    for (const char* name : {"acquire_lease.sql", "release_lease.sql"}) {
      auto s = change_capture::RenderAgentStatement({d, "zcrmsync"}, name);
      ASSERT_TRUE(s.has_value()) << s.error();
      script.statements.push_back(*s);
    }
    const std::string path = std::string(ZCRMSYNC_GOLDEN_DIR) + "/" +
                             std::string(change_capture::DialectName(d)) + "/lease_statements.sql";
    if (std::getenv("ZCRMSYNC_UPDATE_GOLDEN") != nullptr) {
      std::ofstream(path, std::ios::binary) << script.ToText();
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(script.ToText(), text.str()) << path;
  }
}

}  // namespace
}  // namespace zcrmsync::testing
