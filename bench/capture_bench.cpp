// capture_bench: the cost of the capture triggers (issue #4). For each
// database whose ZCRMSYNC_TEST_CONNSTR_<DB> is set, it times a bulk INSERT of
// N rows in one statement and then a bulk UPDATE of a mapped column on three
// identical tables, on one connection: one with the SQL kit installed, one
// without triggers, and a "floor" with the cheapest trigger of the same kind
// (row-level, or statement-level with transition tables on PostgreSQL) that
// inserts one constant into a one-column table: the database's fixed cost of
// a trigger plus one extra row, which no capture design can go below. The
// order of the three rotates every rep, after one unmeasured warm-up rep, and
// the median ratio over the reps is reported (with triggers / without).
// Ratios, not seconds: these machines are shared.
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

// The floor trigger: one constant into a one-column table, per row (or per
// statement, with the transition tables PostgreSQL's capture needs).
std::vector<std::string> FloorTriggers(Dialect d, const std::string& table) {
  switch (d) {
    case Dialect::kPostgreSQL:
      return {
          "CREATE OR REPLACE FUNCTION bench_floor_fn() RETURNS trigger LANGUAGE plpgsql AS "
          "$f$ BEGIN INSERT INTO bench_floor_rows VALUES (1); RETURN NULL; END $f$",
          "CREATE TRIGGER bench_floor_i AFTER INSERT ON " + table +
              " REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION bench_floor_fn()",
          "CREATE TRIGGER bench_floor_u AFTER UPDATE ON " + table +
              " REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION "
              "bench_floor_fn()"};
    case Dialect::kMySQL:
      return {"CREATE TRIGGER bench_floor_i AFTER INSERT ON " + table +
                  " FOR EACH ROW INSERT INTO bench_floor_rows VALUES (1)",
              "CREATE TRIGGER bench_floor_u AFTER UPDATE ON " + table +
                  " FOR EACH ROW INSERT INTO bench_floor_rows VALUES (1)"};
    default:
      return {"CREATE TRIGGER bench_floor_i AFTER INSERT ON " + table +
                  " BEGIN INSERT INTO bench_floor_rows VALUES (1); END",
              "CREATE TRIGGER bench_floor_u AFTER UPDATE ON " + table +
                  " BEGIN INSERT INTO bench_floor_rows VALUES (1); END"};
  }
}

enum Variant { kPlain = 0, kCaptured = 1, kFloor = 2 };

int Run(const Db& db, const Shape& shape, const std::string& cs, int rows, int reps) {
  auto conn = odbc::Connection::Open({.connection_string = cs});
  if (!conn) {
    std::cerr << db.label << ": " << conn.error() << "\n";
    return 1;
  }
  const change_capture::KitOptions kit{db.dialect, "zcrmsync_bench"};
  const change_capture::CaptureTable table{
      "bench", std::nullopt, "bench_captured", {"id"}, {"name", "email", "amount"}};
  auto install = change_capture::RenderInstall(kit, {table});
  auto uninstall = change_capture::RenderUninstall(kit, {table});
  auto changes = change_capture::AgentTableNames(kit);
  if (!install || !uninstall || !changes) return 1;
  const std::string ddl = std::string(" (id integer PRIMARY KEY") + shape.columns + ")";
  const char* names[] = {"bench_plain", "bench_captured", "bench_floor"};
  std::vector<double> ratio[3][2];  // [variant][insert, update], against plain
  double plain_s[2] = {0, 0};
  for (int rep = -1; rep < reps; ++rep) {  // rep -1 warms up and is not counted
    double t[3][2];
    const int first = (rep + 3) % 3;
    for (int k = 0; k < 3; ++k) {
      const int v = (first + k) % 3;
      const std::string name = names[v];
      if (v == kCaptured) (void)change_capture::ApplyScript(*conn, *uninstall);
      (void)conn->Execute("DROP TABLE IF EXISTS " + name);
      if (v == kFloor) {
        (void)conn->Execute("DROP TABLE IF EXISTS bench_floor_rows");
        if (!conn->Execute("CREATE TABLE bench_floor_rows (v integer)")) return 1;
      }
      if (!conn->Execute("CREATE TABLE " + name + ddl)) return 1;
      for (const std::string& col : shape.indexes) {
        (void)conn->Execute("CREATE INDEX " + name + "_" + col + " ON " + name + " (" + col + ")");
      }
      if (v == kCaptured && !change_capture::ApplyScript(*conn, *install).ok()) {
        std::cerr << db.label << ": install failed\n";
        return 1;
      }
      if (v == kFloor) {
        for (const std::string& sql : FloorTriggers(db.dialect, name)) {
          if (auto r = conn->Execute(sql); !r) {
            std::cerr << db.label << ": floor trigger: " << r.error() << "\n";
            return 1;
          }
        }
      }
      auto ins = Seconds(*conn, BulkInsert(db.dialect, name, rows));
      auto upd = Seconds(*conn, "UPDATE " + name + " SET amount = amount + 1");
      if (!ins || !upd) {
        std::cerr << db.label << ": " << (!ins ? ins.error() : upd.error()) << "\n";
        return 1;
      }
      t[v][0] = *ins;
      t[v][1] = *upd;
    }
    if (rep < 0) continue;
    for (int v : {kCaptured, kFloor}) {
      for (int op : {0, 1}) ratio[v][op].push_back(t[v][op] / t[kPlain][op]);
    }
    for (int op : {0, 1}) plain_s[op] += t[kPlain][op] / reps;
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
  for (const char* name : names) (void)conn->Execute(std::string("DROP TABLE IF EXISTS ") + name);
  (void)conn->Execute("DROP TABLE IF EXISTS bench_floor_rows");
  if (db.dialect == Dialect::kPostgreSQL) {
    (void)conn->Execute("DROP FUNCTION IF EXISTS bench_floor_fn()");
  }
  const bool set_based = db.dialect == Dialect::kPostgreSQL;
  const double goal = set_based ? 1.3 : 2.0;
  fmt::print(
      "{:<11} {:<7} {:>7} {:>8.2f}x {:>7.2f}x {:>8.2f}x {:>7.2f}x {:>6.2f}x  {:>8} {:>8.3f} s "
      "{:>8.3f} s\n",
      db.label, shape.label, rows, Median(ratio[kCaptured][0]), Median(ratio[kFloor][0]),
      Median(ratio[kCaptured][1]), Median(ratio[kFloor][1]), goal,
      captured_rows == 2 * rows ? "all" : std::to_string(captured_rows), plain_s[0], plain_s[1]);
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
  fmt::print(
      "capture overhead: median over {} reps (order rotated, after a warm-up), one "
      "statement each;\nratios against the same statement on the same table without "
      "triggers; floor = the cheapest trigger plus one row\n",
      reps);
  fmt::print("{:<11} {:<7} {:>7} {:>9} {:>8} {:>9} {:>8} {:>7}  {:>8} {:>10} {:>10}\n", "database",
             "table", "rows", "insert", "floor", "update", "floor", "goal", "captured", "ins plain",
             "upd plain");
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
