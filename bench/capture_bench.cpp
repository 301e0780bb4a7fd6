// capture_bench: the cost of the capture triggers (issue #4). For each
// database whose ZCRMSYNC_TEST_CONNSTR_<DB> is set, it times a bulk INSERT of
// N rows in one statement and then a bulk UPDATE of a mapped column, on a
// table with the SQL kit installed and on an identical table without it,
// alternating the two reps times, and reports the median ratio
// (with triggers / without). Ratios, not seconds: these machines are shared.
//   capture_bench [--rows N] [--reps R] [--only postgresql|mariadb|sqlite]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "change_capture/change_reader.h"
#include "change_capture/installer.h"
#include "change_capture/sql_kit.h"
#include "core/log.h"
#include "odbc/connection.h"
#include "odbc/statement.h"

namespace {

using namespace zcrmsync;
using change_capture::Dialect;

struct Db {
  const char* env;
  const char* label;
  Dialect dialect;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One multi-row INSERT ... SELECT of `rows` generated rows.
std::string BulkInsert(Dialect d, const std::string& table, int rows) {
  const std::string n = std::to_string(rows);
  switch (d) {
    case Dialect::kPostgreSQL:
      return "INSERT INTO " + table + " (id, name, email, amount, note) SELECT g, 'name ' || g, "
             "'user' || g || '@example.com', g * 1.25, 'n' FROM generate_series(1, " + n + ") g";
    case Dialect::kMySQL:  // MariaDB's Sequence engine
      return "INSERT INTO " + table + " (id, name, email, amount, note) SELECT seq, "
             "CONCAT('name ', seq), CONCAT('user', seq, '@example.com'), seq * 1.25, 'n' "
             "FROM seq_1_to_" + n;
    default:
      return "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < " + n +
             ") INSERT INTO " + table + " (id, name, email, amount, note) SELECT i, 'name ' || i, "
             "'user' || i || '@example.com', i * 1.25, 'n' FROM g";
  }
}

Result<double> Seconds(odbc::Connection& c, const std::string& sql) {
  const auto start = std::chrono::steady_clock::now();
  auto r = c.Execute(sql);
  if (!r) return Error(r.error());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The table shapes: a narrow one (the worst case for a per-row trigger) and
// one shaped like an ERP customers table: 20 columns, 3 secondary indexes.
struct Shape {
  const char* label;
  const char* columns;  // after "id integer PRIMARY KEY"
  std::vector<std::string> indexes;
};

const Shape kShapes[] = {
    {"narrow", ", name varchar(100), email varchar(200), amount decimal(12,2), note varchar(100)", {}},
    {"erp", ", name varchar(100), email varchar(200), amount decimal(12,2), note varchar(100), "
            "phone varchar(40), street varchar(200), city varchar(100), zip varchar(20), "
            "country varchar(60), vat_id varchar(40), segment varchar(40), owner_code varchar(20), "
            "created_at timestamp NULL, updated_at timestamp NULL, credit_limit decimal(14,2), "
            "payment_terms varchar(40), currency varchar(3), status varchar(20), "
            "remarks varchar(500)",
     {"email", "name", "city"}},
};

int Run(const Db& db, const Shape& shape, const std::string& cs, int rows, int reps) {
  auto conn = odbc::Connection::Open({.connection_string = cs});
  if (!conn) {
    std::cerr << db.label << ": " << conn.error() << "\n";
    return 1;
  }
  const change_capture::KitOptions kit{db.dialect, "zcrmsync_bench"};
  const change_capture::CaptureTable table{"bench", std::nullopt, "bench_captured", {"id"},
                                           {"name", "email", "amount"}};
  auto install = change_capture::RenderInstall(kit, {table});
  auto uninstall = change_capture::RenderUninstall(kit, {table});
  auto changes = change_capture::AgentTableNames(kit);
  if (!install || !uninstall || !changes) return 1;
  const std::string ddl = std::string(" (id integer PRIMARY KEY") + shape.columns + ")";
  std::vector<double> insert_ratio, update_ratio;
  double insert_plain_s = 0, update_plain_s = 0;
  for (int rep = 0; rep < reps; ++rep) {
    double t[2][2];  // [captured?][insert, update]
    for (int captured : {rep % 2, 1 - rep % 2}) {  // alternate the order
      const std::string name = captured ? "bench_captured" : "bench_plain";
      if (captured) (void)change_capture::ApplyScript(*conn, *uninstall);
      (void)conn->Execute("DROP TABLE IF EXISTS " + name);
      if (!conn->Execute("CREATE TABLE " + name + ddl)) return 1;
      for (const std::string& col : shape.indexes) {
        (void)conn->Execute("CREATE INDEX " + name + "_" + col + " ON " + name + " (" + col + ")");
      }
      if (captured && !change_capture::ApplyScript(*conn, *install).ok()) {
        std::cerr << db.label << ": install failed\n";
        return 1;
      }
      auto ins = Seconds(*conn, BulkInsert(db.dialect, name, rows));
      auto upd = Seconds(*conn, "UPDATE " + name + " SET amount = amount + 1");
      if (!ins || !upd) {
        std::cerr << db.label << ": " << (!ins ? ins.error() : upd.error()) << "\n";
        return 1;
      }
      t[captured][0] = *ins;
      t[captured][1] = *upd;
    }
    insert_ratio.push_back(t[1][0] / t[0][0]);
    update_ratio.push_back(t[1][1] / t[0][1]);
    insert_plain_s += t[0][0] / reps;
    update_plain_s += t[0][1] / reps;
  }
  // Every row must have been captured: N inserts + N updates in the last rep.
  int64_t captured_rows = 0;
  change_capture::ChangeReader reader(*conn, kit);
  std::string cursor;
  for (;;) {
    auto batch = reader.Next(cursor, 1000);
    if (!batch || batch->empty()) break;
    captured_rows += static_cast<int64_t>(batch->size());
    cursor = batch->back().cursor;
  }
  (void)change_capture::ApplyScript(*conn, *uninstall);
  (void)conn->Execute("DROP TABLE IF EXISTS bench_captured");
  (void)conn->Execute("DROP TABLE IF EXISTS bench_plain");
  const bool set_based = db.dialect == Dialect::kPostgreSQL;
  const double goal = set_based ? 1.3 : 2.0;
  fmt::print("{:<11} {:<7} {:>9} {:>16.2f}x {:>16.2f}x {:>7.2f}x  {:>10} {:>13.3f} s {:>13.3f} s\n",
             db.label, shape.label, rows, Median(insert_ratio), Median(update_ratio), goal,
             captured_rows == 2 * rows ? "all" : std::to_string(captured_rows), insert_plain_s,
             update_plain_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 100000, reps = 5;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  if (rows <= 0 || reps <= 0) {
    std::cerr << "usage: capture_bench [--rows N] [--reps R] [--only DB]\n";
    return 2;
  }
  zcrmsync::log::Configure({zcrmsync::log::Level::kWarn, zcrmsync::log::Format::kText});
  fmt::print("capture overhead: median over {} alternating reps, one statement each\n", reps);
  fmt::print("{:<11} {:<7} {:>9} {:>17} {:>17} {:>8}  {:>10} {:>15} {:>15}\n", "database", "table",
             "rows",
             "insert ratio", "update ratio", "goal", "captured", "insert (plain)",
             "update (plain)");
  const Db dbs[] = {{"ZCRMSYNC_TEST_CONNSTR_POSTGRESQL", "postgresql", Dialect::kPostgreSQL},
                    {"ZCRMSYNC_TEST_CONNSTR_MARIADB", "mariadb", Dialect::kMySQL},
                    {"ZCRMSYNC_TEST_CONNSTR_SQLITE", "sqlite", Dialect::kSQLite}};
  int status = 0;
  for (const Db& db : dbs) {
    if (!only.empty() && only != db.label) continue;
    const char* cs = std::getenv(db.env);
    if (cs == nullptr || *cs == '\0') {
      fmt::print("{:<11} skipped: {} is not set\n", db.label, db.env);
      continue;
    }
    for (const Shape& shape : kShapes) status |= Run(db, shape, cs, rows, reps);
  }
  return status;
}
