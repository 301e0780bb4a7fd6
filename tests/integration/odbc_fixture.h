// Shared fixture for integration tests against the real databases that
// scripts/test.sh starts. One test body runs against each database; the
// connection string comes from ZCRMSYNC_TEST_CONNSTR_<DB>, and a test skips
// only when that variable is missing (scripts/test.sh always sets all three).
#pragma once

#include <cstdlib>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "odbc/connection.h"

namespace zcrmsync::testing {

struct TestDatabase {
  std::string name;  // "postgresql", "mariadb", "sqlite": also the test-name suffix
  std::string env;   // the environment variable holding its connection string
};

inline const TestDatabase kPostgres{"postgresql", "ZCRMSYNC_TEST_CONNSTR_POSTGRESQL"};
inline const TestDatabase kMariaDb{"mariadb", "ZCRMSYNC_TEST_CONNSTR_MARIADB"};
inline const TestDatabase kSqlite{"sqlite", "ZCRMSYNC_TEST_CONNSTR_SQLITE"};

// Keeps ctest's names readable ("... GetParam() = postgresql").
inline void PrintTo(const TestDatabase& db, std::ostream* os) { *os << db.name; }

inline std::string DatabaseName(const ::testing::TestParamInfo<TestDatabase>& info) {
  return info.param.name;
}

class OdbcFixture : public ::testing::TestWithParam<TestDatabase> {
 protected:
  void SetUp() override {
    const char* cs = std::getenv(GetParam().env.c_str());
    if (cs == nullptr || *cs == '\0') {
      GTEST_SKIP() << GetParam().env << " is not set; scripts/test.sh sets it";
    }
    connection_string_ = cs;
    auto c = Open();
    ASSERT_TRUE(c.has_value()) << c.error();
    conn_.emplace(std::move(*c));
  }

  Result<odbc::Connection> Open(odbc::ConnectOptions options = {}) const {
    options.connection_string = connection_string_;
    return odbc::Connection::Open(std::move(options));
  }

  odbc::Connection& conn() { return *conn_; }
  odbc::DriverFamily family() const { return conn_->family(); }
  bool is(const TestDatabase& db) const { return GetParam().name == db.name; }

  // Runs DDL or a statement that must succeed.
  void Exec(const std::string& sql) {
    auto r = conn_->Execute(sql);
    ASSERT_TRUE(r.has_value()) << sql << ": " << r.error();
  }

  std::string connection_string_;
  std::optional<odbc::Connection> conn_;
};

}  // namespace zcrmsync::testing
