#include "odbc/diagnostics.h"

#include <gtest/gtest.h>

namespace zcrmsync::odbc {
namespace {

struct Case {
  DriverFamily family;
  const char* sqlstate;
  int32_t native;
  const char* message;
  StatusCode expected;
};

class ClassifyTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifyTest, MapsToTheDocumentedCode) {
  const Case& c = GetParam();
  EXPECT_EQ(ClassifyDiagnostic(c.family, {c.sqlstate, c.native, c.message}), c.expected)
      << DriverFamilyName(c.family) << " " << c.sqlstate << " native " << c.native << " "
      << c.message;
}

using F = DriverFamily;
using S = StatusCode;
INSTANTIATE_TEST_SUITE_P(
    Table, ClassifyTest,
    ::testing::Values(
        // Connection lost or refused: transient.
        Case{F::kPostgreSQL, "08001", 101, "Connection refused", S::kUnavailable},
        Case{F::kPostgreSQL, "08S01", 0, "could not send query", S::kUnavailable},
        Case{F::kMySQL, "08S01", 2013, "Lost connection to server", S::kUnavailable},
        Case{F::kMySQL, "HY000", 2006, "MySQL server has gone away", S::kUnavailable},
        Case{F::kPostgreSQL, "HY000", 1, "server closed the connection unexpectedly", S::kUnavailable},
        Case{F::kPostgreSQL, "57P01", 1, "terminating connection due to administrator command",
             S::kUnavailable},
        // A refused login is not transient.
        Case{F::kPostgreSQL, "08001", 101, "FATAL: password authentication failed for user",
             S::kUnauthenticated},
        Case{F::kMySQL, "28000", 1045, "Access denied for user 'sync'", S::kUnauthenticated},
        // Deadlock / serialization / lock timeout: retry the transaction.
        Case{F::kPostgreSQL, "40001", 1, "could not serialize access", S::kAborted},
        Case{F::kPostgreSQL, "40P01", 1, "deadlock detected", S::kAborted},
        Case{F::kPostgreSQL, "55P03", 1, "canceling statement due to lock timeout", S::kAborted},
        Case{F::kMySQL, "40001", 1213, "Deadlock found", S::kAborted},
        Case{F::kMySQL, "HY000", 1205, "Lock wait timeout exceeded", S::kAborted},
        Case{F::kSQLite, "HY000", 5, "database is locked", S::kAborted},
        // Timeouts: transient.
        Case{F::kSqlServer, "HYT00", 0, "Query timeout expired", S::kDeadlineExceeded},
        Case{F::kPostgreSQL, "57014", 1, "canceling statement due to statement timeout",
             S::kDeadlineExceeded},
        // Constraint violations: a data error.
        Case{F::kPostgreSQL, "23505", 1, "duplicate key value", S::kInvalidArgument},
        Case{F::kMySQL, "23000", 1062, "Duplicate entry", S::kInvalidArgument},
        Case{F::kSQLite, "HY000", 19, "UNIQUE constraint failed", S::kInvalidArgument},
        Case{F::kSQLite, "HY000", 2067, "UNIQUE constraint failed (extended)", S::kInvalidArgument},
        Case{F::kSqlServer, "23000", 2627, "Violation of PRIMARY KEY", S::kInvalidArgument},
        Case{F::kPostgreSQL, "22001", 1, "value too long", S::kInvalidArgument},
        Case{F::kMySQL, "21000", 1242, "Subquery returns more than 1 row", S::kInvalidArgument},
        // The ERP's own triggers refusing a row: a data error, not fatal.
        Case{F::kPostgreSQL, "P0001", 1, "ERROR: credit limit exceeded", S::kInvalidArgument},
        Case{F::kPostgreSQL, "P0004", 1, "assertion failed", S::kInvalidArgument},
        Case{F::kMySQL, "45000", 1644, "credit limit exceeded", S::kInvalidArgument},
        Case{F::kPostgreSQL, "27000", 1, "triggered data change violation", S::kInvalidArgument},
        // Syntax error or missing object: permanent.
        Case{F::kPostgreSQL, "42601", 1, "syntax error", S::kFailedPrecondition},
        Case{F::kPostgreSQL, "42P01", 1, "relation does not exist", S::kFailedPrecondition},
        Case{F::kMySQL, "42000", 1064, "You have an error in your SQL syntax",
             S::kFailedPrecondition},
        Case{F::kMySQL, "42S02", 1146, "Table doesn't exist", S::kFailedPrecondition},
        Case{F::kSQLite, "HY000", 1, "near \"SELEC\": syntax error", S::kFailedPrecondition},
        Case{F::kUnknown, "IM002", 0, "Data source name not found", S::kFailedPrecondition},
        Case{F::kUnknown, "01000", 0, "[unixODBC][Driver Manager]Can't open lib 'X' : file not found",
             S::kFailedPrecondition},
        // Other families never read SQLite's native codes.
        Case{F::kPostgreSQL, "HY000", 19, "something", S::kUnknown},
        Case{F::kUnknown, "HY008", 0, "Operation canceled", S::kCancelled}));

TEST(StatusFromDiagnosticsTest, KeepsEveryRecordAndPicksFirstNonWarning) {
  std::vector<DiagnosticRecord> records = {
      {"01000", 0, "a warning"},
      {"23505", 7, "ERROR: duplicate key value violates unique constraint \"t_pkey\"\n"},
      {"HY000", 8, "more detail"}};
  Status s = StatusFromDiagnostics(DriverFamily::kPostgreSQL, "execute (INSERT INTO t)", records, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "execute (INSERT INTO t): [01000] (native 0) a warning; [23505] (native 7) ERROR: "
            "duplicate key value violates unique constraint \"t_pkey\"; [HY000] (native 8) more "
            "detail");
  EXPECT_EQ(s.GetPayload("sqlstate"), "23505");
  EXPECT_EQ(s.GetPayload("native_code"), "7");
  EXPECT_EQ(s.GetPayload("diagnostics"), "3");
}

TEST(StatusFromDiagnosticsTest, RedactsSecrets) {
  Status s = StatusFromDiagnostics(DriverFamily::kMySQL, "connect",
                                   {{"28000", 1045, "Access denied (using password: hunter2)"}},
                                   {"hunter2"});
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
}

TEST(StatusFromDiagnosticsTest, NoRecordsIsUnknown) {
  Status s = StatusFromDiagnostics(DriverFamily::kUnknown, "fetch", {}, {});
  EXPECT_EQ(s.code(), StatusCode::kUnknown);
  EXPECT_NE(s.message().find("no diagnostic record"), std::string::npos);
}

TEST(DetectDriverFamilyTest, KnownDrivers) {
  EXPECT_EQ(DetectDriverFamily("PostgreSQL", "psqlodbcw.so"), DriverFamily::kPostgreSQL);
  EXPECT_EQ(DetectDriverFamily("MariaDB", "libmaodbc.so"), DriverFamily::kMySQL);
  EXPECT_EQ(DetectDriverFamily("MySQL", "libmyodbc8w.so"), DriverFamily::kMySQL);
  EXPECT_EQ(DetectDriverFamily("SQLite", "libsqlite3odbc-0.9998.so"), DriverFamily::kSQLite);
  EXPECT_EQ(DetectDriverFamily("Microsoft SQL Server", "libmsodbcsql-18.so"),
            DriverFamily::kSqlServer);
  EXPECT_EQ(DetectDriverFamily("Oracle", "libsqora.so"), DriverFamily::kUnknown);
}

}  // namespace
}  // namespace zcrmsync::odbc
