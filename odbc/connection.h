// Connection: one ODBC connection over the wide (W) API, opened from a
// DSN-less connection string. Move-only; not thread-safe (one connection per
// worker thread). Liveness is checked with a real query (Ping), never with a
// cached flag (nanodbc #280). The password is scrubbed from every message and
// log line; the driver's completed connection string is never shown.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "odbc/diagnostics.h"

namespace zcrmsync::odbc {

namespace internal {
struct ConnectionState;
}
class Statement;

enum class IsolationLevel { kReadUncommitted, kReadCommitted, kRepeatableRead, kSerializable };

struct ConnectOptions {
  std::string connection_string;                // DSN-less, e.g. "DRIVER={...};SERVER=...;PWD=..."
  std::chrono::seconds login_timeout{15};        // 0 = the driver's default
  // Per statement; 0 = none. PostgreSQL and SQL Server drivers enforce it;
  // on MariaDB/MySQL the session's max_statement_time / max_execution_time is
  // set instead; sqliteodbc accepts it but cannot interrupt a query.
  std::chrono::seconds query_timeout{0};
  // The longest wait for a lock another transaction holds; 0 = the server's
  // default. PostgreSQL lock_timeout, MySQL/MariaDB innodb_lock_wait_timeout,
  // SQL Server LOCK_TIMEOUT (set for the session); SQLite: the connection
  // string's Timeout. A timeout is ABORTED (retryable).
  std::chrono::seconds lock_timeout{0};
  bool autocommit = true;
  std::optional<IsolationLevel> isolation;       // unset = the server's default
};

struct DriverInfo {
  std::string driver_name;     // e.g. "psqlodbcw.so"
  std::string driver_version;  // e.g. "13.02.0000"
  std::string dbms_name;       // e.g. "PostgreSQL"
  std::string dbms_version;    // e.g. "15.0.18"
  DriverFamily family = DriverFamily::kUnknown;
  // Text goes to and from the driver as UTF-8 (SQL_C_CHAR), not UTF-16:
  // MySQL/MariaDB with CHARSET=utf8mb4, whose Connector/ODBC 3.1 corrupts
  // wide values holding U+00D8..U+00DF (it takes them for surrogates).
  bool text_as_utf8 = false;
};

class Connection {
 public:
  // Connects. Errors: INVALID_ARGUMENT for an empty string or a SQLite
  // Database= that is empty (the driver would create a junk file);
  // UNAUTHENTICATED for a rejected login; UNAVAILABLE when the server cannot be
  // reached; FAILED_PRECONDITION when the driver is not installed.
  // A driver that refuses an optional attribute (timeouts, isolation) only
  // adds a warning (see warnings()).
  static Result<Connection> Open(ConnectOptions options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs a trivial query on the server. UNAVAILABLE when the link is dead.
  Status Ping();

  // Drops the current link (statements made from it become unusable:
  // FAILED_PRECONDITION) and connects again with the same options.
  Status Reconnect();

  Status SetAutocommit(bool on);
  bool autocommit() const;
  Status Commit();
  Status Rollback();
  Status SetIsolation(IsolationLevel level);

  // REQUIRES: the connection is open. Statements are valid until Reconnect()
  // or the connection's destruction, whichever comes first.
  Result<Statement> Prepare(std::string_view sql);

  // Executes one statement without parameters and discards any result set.
  // Returns the affected row count, or -1 when the driver does not know.
  // Never calls SQLMoreResults (MariaDB's driver crashes on it after DDL).
  Result<int64_t> Execute(std::string_view sql);

  const DriverInfo& driver() const;
  DriverFamily family() const;
  std::string redacted_connection_string() const;
  // Warnings gathered while connecting: refused optional attributes and the like.
  const std::vector<std::string>& warnings() const;

 private:
  explicit Connection(std::shared_ptr<internal::ConnectionState> state);
  std::shared_ptr<internal::ConnectionState> state_;
};

std::string_view IsolationLevelName(IsolationLevel level);

}  // namespace zcrmsync::odbc
