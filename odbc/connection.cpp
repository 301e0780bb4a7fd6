#include "odbc/connection.h"

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "core/secrets.h"
#include "core/status_macros.h"
#include "odbc/internal/connection_state.h"
#include "odbc/statement.h"
#include "core/text.h"

namespace zcrmsync::odbc {
namespace {

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("odbc");
  return *logger;
}

// sqliteodbc creates a file named after the whole connection string when
// Database= is empty; refuse that before the driver sees it.
Status CheckSqliteDatabase(std::string_view cs) {
  const std::string lower = AsciiLower(cs);
  if (lower.find("sqlite") == std::string::npos) return Status();
  const size_t pos = lower.find("database=");
  if (pos == std::string::npos) {
    return InvalidArgumentError("SQLite connection string has no Database= attribute");
  }
  const size_t begin = pos + 9;
  const size_t end = cs.find(';', begin);
  std::string_view value = cs.substr(begin, end == std::string_view::npos ? cs.npos : end - begin);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty() || value == "{}") {
    return InvalidArgumentError("SQLite connection string has an empty Database= attribute");
  }
  return Status();
}

// psqlODBC wraps every statement of a transaction in a SAVEPOINT by default
// (statement-level rollback). Past 64 subtransactions PostgreSQL slows every
// later statement of the transaction, so a batch of thousands of statements
// turns quadratic. The agent rolls back a failed transaction as a whole, so
// it asks for transaction-level rollback unless the string sets Protocol.
std::string WithPostgresRollbackLevel(std::string cs) {
  const std::string lower = AsciiLower(cs);
  const bool psqlodbc = lower.find("driver={postgresql") != std::string::npos ||
                        lower.find("psqlodbc") != std::string::npos;
  if (!psqlodbc || lower.find("protocol=") != std::string::npos) return cs;
  if (!cs.empty() && cs.back() != ';') cs += ';';
  return cs + "Protocol=7.4-1;";
}

std::string GetInfoString(SQLHDBC dbc, SQLUSMALLINT what) {
  SQLWCHAR buf[256] = {0};
  SQLSMALLINT len = 0;
  if (!SQL_SUCCEEDED(SQLGetInfoW(dbc, what, buf, sizeof(buf), &len))) return "";
  const size_t units = std::min<size_t>(static_cast<size_t>(std::max<SQLSMALLINT>(len, 0)) / 2,
                                        std::size(buf) - 1);
  return internal::FromWideLossy(buf, units);
}

SQLULEN IsolationAttr(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kReadUncommitted: return SQL_TXN_READ_UNCOMMITTED;
    case IsolationLevel::kReadCommitted: return SQL_TXN_READ_COMMITTED;
    case IsolationLevel::kRepeatableRead: return SQL_TXN_REPEATABLE_READ;
    case IsolationLevel::kSerializable: return SQL_TXN_SERIALIZABLE;
  }
  return SQL_TXN_READ_COMMITTED;
}

// Sets an optional attribute; a refusal is recorded as a warning, not an error.
void SetOptionalAttr(internal::ConnectionState& st, SQLINTEGER attr, SQLULEN value,
                     std::string_view what) {
  SQLRETURN rc = SQLSetConnectAttrW(st.dbc, attr, reinterpret_cast<SQLPOINTER>(value), 0);
  if (SQL_SUCCEEDED(rc)) return;
  Status s = st.Check(rc, SQL_HANDLE_DBC, st.dbc, what);
  st.warnings.push_back(s.message());
  Log().Warn("driver refused an optional attribute", {{"attribute", what}, {"error", s.message()}});
}

// Runs one statement on the raw handle, for session setup during connect.
Status ExecuteRaw(internal::ConnectionState& st, std::string_view sql) {
  SQLHSTMT h = SQL_NULL_HSTMT;
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, st.dbc, &h);
  if (!SQL_SUCCEEDED(rc)) return st.Check(rc, SQL_HANDLE_DBC, st.dbc, sql);
  auto wide = internal::ToWide(sql);
  Status s = wide ? st.Check(SQLExecDirectW(h, wide->data(), SQL_NTS), SQL_HANDLE_STMT, h, sql)
                  : wide.error();
  SQLFreeHandle(SQL_HANDLE_STMT, h);
  return s;
}

// MariaDB Connector/ODBC accepts SQL_ATTR_QUERY_TIMEOUT but does not enforce
// it (seen with 3.1.15), so the server's own limit is set for the session.
void ApplyServerQueryTimeout(internal::ConnectionState& st) {
  const auto seconds = st.options.query_timeout.count();
  if (seconds <= 0 || st.driver.family != DriverFamily::kMySQL) return;
  const bool mariadb = AsciiLower(st.driver.dbms_name).find("mariadb") != std::string::npos;
  const std::string sql = mariadb ? "SET SESSION max_statement_time = " + std::to_string(seconds)
                                  : "SET SESSION max_execution_time = " +
                                        std::to_string(seconds * 1000);
  Status s = ExecuteRaw(st, sql);
  if (!s.ok()) {
    st.warnings.push_back(s.message());
    Log().Warn("could not set the server-side query timeout", {{"error", s.message()}});
  }
}

// The session's lock wait limit (ConnectOptions::lock_timeout).
void ApplyLockTimeout(internal::ConnectionState& st) {
  const auto seconds = st.options.lock_timeout.count();
  if (seconds <= 0) return;
  std::string sql;
  switch (st.driver.family) {
    case DriverFamily::kPostgreSQL:
      sql = "SET lock_timeout = '" + std::to_string(seconds) + "s'";
      break;
    case DriverFamily::kMySQL:
      sql = "SET SESSION innodb_lock_wait_timeout = " + std::to_string(seconds);
      break;
    case DriverFamily::kSqlServer:
      sql = "SET LOCK_TIMEOUT " + std::to_string(seconds * 1000);
      break;
    default:
      return;
  }
  Status s = ExecuteRaw(st, sql);
  if (!s.ok()) {
    st.warnings.push_back(s.message());
    Log().Warn("could not set the lock timeout", {{"error", s.message()}});
  }
}

Status Connect(internal::ConnectionState& st) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_DBC, st.env->handle(), &dbc);
  if (!SQL_SUCCEEDED(rc)) {
    return st.Check(rc, SQL_HANDLE_ENV, st.env->handle(), "allocate ODBC connection handle");
  }
  st.dbc = dbc;
  if (st.options.login_timeout.count() > 0) {
    SetOptionalAttr(st, SQL_ATTR_LOGIN_TIMEOUT,
                    static_cast<SQLULEN>(st.options.login_timeout.count()), "login timeout");
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<SQLWCHAR> wide, internal::ToWide(st.options.connection_string));
  std::vector<SQLWCHAR> out(2048);
  SQLSMALLINT out_len = 0;
  rc = SQLDriverConnectW(dbc, nullptr, wide.data(), SQL_NTS, out.data(),
                         static_cast<SQLSMALLINT>(out.size()), &out_len, SQL_DRIVER_NOPROMPT);
  // The completed string (`out`) holds the password in clear: never logged.
  std::fill(out.begin(), out.end(), 0);
  std::fill(wide.begin(), wide.end(), 0);
  if (!SQL_SUCCEEDED(rc)) {
    Status s = st.Check(rc, SQL_HANDLE_DBC, dbc,
                        "connect to " + st.redacted_connection_string);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    st.dbc = SQL_NULL_HDBC;
    return s;
  }
  st.connected = true;
  ++st.generation;
  st.driver.driver_name = GetInfoString(dbc, SQL_DRIVER_NAME);
  st.driver.driver_version = GetInfoString(dbc, SQL_DRIVER_VER);
  st.driver.dbms_name = GetInfoString(dbc, SQL_DBMS_NAME);
  st.driver.dbms_version = GetInfoString(dbc, SQL_DBMS_VER);
  st.driver.family = DetectDriverFamily(st.driver.dbms_name, st.driver.driver_name);

  ApplyServerQueryTimeout(st);
  ApplyLockTimeout(st);
  const bool utf8mb4 =
      AsciiLower(st.options.connection_string).find("charset=utf8mb4") != std::string::npos;
  st.driver.text_as_utf8 = st.driver.family == DriverFamily::kMySQL && utf8mb4;
  if (st.driver.family == DriverFamily::kMySQL && !utf8mb4) {
    const std::string w =
        "MySQL/MariaDB connection string without CHARSET=utf8mb4: characters outside the "
        "BMP (emoji) in SQL text become '?', and MariaDB Connector/ODBC 3.1 corrupts bound "
        "text holding U+00D8..U+00DF (\u00d8, \u00df)";
    st.warnings.push_back(w);
    Log().Warn("add CHARSET=utf8mb4 to the connection string", {{"why", w}});
  }
  st.autocommit = st.options.autocommit;
  if (!st.autocommit) {
    rc = SQLSetConnectAttrW(dbc, SQL_ATTR_AUTOCOMMIT,
                            reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF), 0);
    ZCRMSYNC_RETURN_IF_ERROR(st.Check(rc, SQL_HANDLE_DBC, dbc, "turn autocommit off"));
  }
  if (st.options.isolation) {
    SetOptionalAttr(st, SQL_ATTR_TXN_ISOLATION, IsolationAttr(*st.options.isolation),
                    "isolation level");
  }
  Log().Info("connected", {{"dbms", st.driver.dbms_name + " " + st.driver.dbms_version},
                           {"driver", st.driver.driver_name},
                           {"driver_version", st.driver.driver_version},
                           {"connection", st.redacted_connection_string}});
  return Status();
}

void Disconnect(internal::ConnectionState& st) {
  if (st.dbc == SQL_NULL_HDBC) return;
  for (SQLHSTMT h : st.statements) SQLFreeHandle(SQL_HANDLE_STMT, h);
  st.statements.clear();
  if (st.connected) {
    SQLEndTran(SQL_HANDLE_DBC, st.dbc, SQL_ROLLBACK);  // the link may be dead: ignore
    SQLRETURN rc = SQLDisconnect(st.dbc);
    if (!SQL_SUCCEEDED(rc)) {
      Log().Warn("disconnect failed; dropping the handle",
                 {{"error", st.Check(rc, SQL_HANDLE_DBC, st.dbc, "disconnect").message()}});
    }
  }
  SQLFreeHandle(SQL_HANDLE_DBC, st.dbc);
  st.dbc = SQL_NULL_HDBC;
  st.connected = false;
  ++st.generation;  // statements from the old link must not touch it again
}

}  // namespace

Result<Connection> Connection::Open(ConnectOptions options) {
  if (options.connection_string.empty()) {
    return Error(InvalidArgumentError("empty ODBC connection string"));
  }
  ZCRMSYNC_RETURN_IF_ERROR(CheckSqliteDatabase(options.connection_string));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::shared_ptr<Environment> env, Environment::Shared());
  auto st = std::make_shared<internal::ConnectionState>();
  st->env = std::move(env);
  st->secrets = ConnectionStringSecrets(options.connection_string);
  st->redacted_connection_string = ScrubConnectionString(options.connection_string);
  st->options = std::move(options);
  st->options.connection_string = WithPostgresRollbackLevel(st->options.connection_string);
  Status s = Connect(*st);
  if (!s.ok()) {
    Disconnect(*st);
    return Error(s);
  }
  return Connection(std::move(st));
}

Connection::Connection(std::shared_ptr<internal::ConnectionState> state) : state_(std::move(state)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (state_) Disconnect(*state_);
    state_ = std::move(other.state_);
  }
  return *this;
}

Connection::~Connection() {
  if (state_) Disconnect(*state_);
}

Status Connection::Ping() {
  if (!state_ || !state_->connected) return UnavailableError("ping: not connected");
  auto stmt = Prepare("SELECT 1");
  if (!stmt) return stmt.error().WithContext("ping");
  auto executed = stmt->Execute();
  if (!executed) return executed.error().WithContext("ping");
  auto row = stmt->Fetch();
  if (!row) return row.error().WithContext("ping");
  return stmt->CloseCursor();
}

Status Connection::Reconnect() {
  if (!state_) return FailedPreconditionError("reconnect: moved-from connection");
  Disconnect(*state_);
  state_->warnings.clear();
  Status s = Connect(*state_);
  if (!s.ok()) Disconnect(*state_);
  return s;
}

Status Connection::SetAutocommit(bool on) {
  if (!state_ || !state_->connected) return UnavailableError("set autocommit: not connected");
  SQLRETURN rc = SQLSetConnectAttrW(
      state_->dbc, SQL_ATTR_AUTOCOMMIT,
      reinterpret_cast<SQLPOINTER>(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF), 0);
  ZCRMSYNC_RETURN_IF_ERROR(state_->Check(rc, SQL_HANDLE_DBC, state_->dbc,
                                         on ? "turn autocommit on" : "turn autocommit off"));
  state_->autocommit = on;
  state_->options.autocommit = on;  // kept across Reconnect()
  return Status();
}

bool Connection::autocommit() const { return state_ && state_->autocommit; }

Status Connection::Commit() {
  if (!state_ || !state_->connected) return UnavailableError("commit: not connected");
  return state_->Check(SQLEndTran(SQL_HANDLE_DBC, state_->dbc, SQL_COMMIT), SQL_HANDLE_DBC,
                       state_->dbc, "commit");
}

Status Connection::Rollback() {
  if (!state_ || !state_->connected) return UnavailableError("rollback: not connected");
  return state_->Check(SQLEndTran(SQL_HANDLE_DBC, state_->dbc, SQL_ROLLBACK), SQL_HANDLE_DBC,
                       state_->dbc, "rollback");
}

Status Connection::SetIsolation(IsolationLevel level) {
  if (!state_ || !state_->connected) return UnavailableError("set isolation: not connected");
  SQLRETURN rc = SQLSetConnectAttrW(state_->dbc, SQL_ATTR_TXN_ISOLATION,
                                    reinterpret_cast<SQLPOINTER>(IsolationAttr(level)), 0);
  ZCRMSYNC_RETURN_IF_ERROR(state_->Check(
      rc, SQL_HANDLE_DBC, state_->dbc,
      "set isolation level " + std::string(IsolationLevelName(level))));
  state_->options.isolation = level;
  return Status();
}

Result<int64_t> Connection::Execute(std::string_view sql) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, stmt.Execute());
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  return rows;
}

const DriverInfo& Connection::driver() const { return state_->driver; }
DriverFamily Connection::family() const { return state_->driver.family; }
std::string Connection::redacted_connection_string() const {
  return state_ ? state_->redacted_connection_string : std::string();
}
const std::vector<std::string>& Connection::warnings() const { return state_->warnings; }

std::string_view IsolationLevelName(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kReadUncommitted: return "read uncommitted";
    case IsolationLevel::kReadCommitted: return "read committed";
    case IsolationLevel::kRepeatableRead: return "repeatable read";
    case IsolationLevel::kSerializable: return "serializable";
  }
  return "?";
}

}  // namespace zcrmsync::odbc
