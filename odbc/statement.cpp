#include "odbc/statement.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "core/log.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "odbc/connection.h"
#include "odbc/internal/connection_state.h"

namespace zcrmsync::odbc {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
// Up to this many UTF-16 units a text parameter is bound as SQL_WVARCHAR,
// above it as SQL_WLONGVARCHAR (nvarchar(4000) is SQL Server's largest
// non-max type); likewise 8000 bytes for binary.
constexpr size_t kMaxShortTextUnits = 4000;
constexpr size_t kMaxShortBinary = 8000;

std::string Preview(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= 100) {
      out += "...";
      break;
    }
  }
  return out;
}

ValueType ValueTypeForSqlType(SQLSMALLINT t) {
  switch (t) {
    case SQL_BIT: return ValueType::kBool;
    case SQL_TINYINT: case SQL_SMALLINT: case SQL_INTEGER: case SQL_BIGINT:
      return ValueType::kInt64;
    case SQL_REAL: case SQL_FLOAT: case SQL_DOUBLE: return ValueType::kDouble;
    case SQL_NUMERIC: case SQL_DECIMAL: return ValueType::kDecimal;
    case SQL_BINARY: case SQL_VARBINARY: case SQL_LONGVARBINARY: return ValueType::kBytes;
    case SQL_TYPE_DATE: case SQL_DATE: return ValueType::kDate;
    case SQL_TYPE_TIMESTAMP: case SQL_TIMESTAMP: return ValueType::kTimestamp;
    default: return ValueType::kText;
  }
}

// One bound parameter: the buffer and indicator SQLBindParameter points at.
struct Slot {
  SQLSMALLINT c_type = SQL_C_CHAR;
  SQLSMALLINT sql_type = SQL_VARCHAR;
  SQLULEN column_size = 1;
  SQLSMALLINT digits = 0;
  std::vector<unsigned char> buffer;
  SQLLEN indicator = 0;
};

template <typename T>
void Store(Slot& slot, const T& v) {
  slot.buffer.resize(sizeof(T));
  std::memcpy(slot.buffer.data(), &v, sizeof(T));
  slot.indicator = static_cast<SQLLEN>(sizeof(T));
}

SQL_TIMESTAMP_STRUCT ToOdbc(const Timestamp& t) {
  SQL_TIMESTAMP_STRUCT ts{};
  ts.year = static_cast<SQLSMALLINT>(t.year);
  ts.month = static_cast<SQLUSMALLINT>(t.month);
  ts.day = static_cast<SQLUSMALLINT>(t.day);
  ts.hour = static_cast<SQLUSMALLINT>(t.hour);
  ts.minute = static_cast<SQLUSMALLINT>(t.minute);
  ts.second = static_cast<SQLUSMALLINT>(t.second);
  ts.fraction = static_cast<SQLUINTEGER>(t.microsecond) * 1000;  // ODBC counts nanoseconds
  return ts;
}

Status StoreText(Slot& slot, std::string_view utf8) {
  auto wide = Utf8ToUtf16(utf8);
  if (!wide) return wide.error();
  const size_t units = wide->size();
  slot.c_type = SQL_C_WCHAR;
  slot.sql_type = units <= kMaxShortTextUnits ? SQL_WVARCHAR : SQL_WLONGVARCHAR;
  slot.column_size = std::max<size_t>(units, 1);
  slot.buffer.resize((units + 1) * sizeof(SQLWCHAR));
  std::memcpy(slot.buffer.data(), wide->data(), units * sizeof(SQLWCHAR));
  std::memset(slot.buffer.data() + units * sizeof(SQLWCHAR), 0, sizeof(SQLWCHAR));
  slot.indicator = static_cast<SQLLEN>(units * sizeof(SQLWCHAR));
  return Status();
}

// Text as UTF-8 bytes (SQL_C_CHAR), for a driver that takes the
// connection's utf8mb4 (DriverInfo::text_as_utf8).
Status StoreUtf8Text(Slot& slot, std::string_view utf8) {
  if (Status s = CheckUtf8(utf8); !s.ok()) return s;
  slot.c_type = SQL_C_CHAR;
  slot.sql_type = utf8.size() <= kMaxShortTextUnits ? SQL_VARCHAR : SQL_LONGVARCHAR;
  slot.column_size = std::max<size_t>(utf8.size(), 1);
  slot.buffer.assign(utf8.begin(), utf8.end());
  slot.buffer.push_back(0);
  slot.indicator = static_cast<SQLLEN>(utf8.size());
  return Status();
}

// Builds the bind for one value, with an explicit C type, SQL type and size.
Result<Slot> MakeSlot(const Value& v, DriverFamily family, bool text_as_utf8) {
  Slot slot;
  // SQLite keeps timestamps as text; bound as SQL_TYPE_TIMESTAMP its driver
  // drops everything below the millisecond, so send the full text instead.
  const bool timestamp_as_text = family == DriverFamily::kSQLite;
  switch (v.type()) {
    case ValueType::kBool:
      slot.c_type = SQL_C_BIT;
      slot.sql_type = SQL_BIT;
      if (!v.is_null()) Store(slot, static_cast<unsigned char>(v.bool_value() ? 1 : 0));
      break;
    case ValueType::kInt64:
      slot.c_type = SQL_C_SBIGINT;
      slot.sql_type = SQL_BIGINT;
      slot.column_size = 19;
      if (!v.is_null()) Store(slot, static_cast<SQLBIGINT>(v.int64_value()));
      break;
    case ValueType::kDouble:
      slot.c_type = SQL_C_DOUBLE;
      slot.sql_type = SQL_DOUBLE;
      slot.column_size = 15;
      if (!v.is_null()) Store(slot, static_cast<SQLDOUBLE>(v.double_value()));
      break;
    case ValueType::kDecimal: {
      slot.c_type = SQL_C_CHAR;
      slot.sql_type = SQL_NUMERIC;
      if (v.is_null()) break;
      const std::string& d = v.decimal_value();
      if (!IsValidDecimal(d)) {
        return Error(InvalidArgumentError("not an exact decimal: '" + d.substr(0, 40) + "'"));
      }
      const size_t dot = d.find('.');
      size_t digits = 0;
      for (char c : d) digits += (c >= '0' && c <= '9') ? 1 : 0;
      slot.column_size = std::max<size_t>(digits, 1);
      slot.digits = static_cast<SQLSMALLINT>(dot == std::string::npos ? 0 : d.size() - dot - 1);
      slot.buffer.assign(d.begin(), d.end());
      slot.buffer.push_back(0);
      slot.indicator = static_cast<SQLLEN>(d.size());
      break;
    }
    case ValueType::kText:
      slot.c_type = text_as_utf8 ? SQL_C_CHAR : SQL_C_WCHAR;
      slot.sql_type = text_as_utf8 ? SQL_VARCHAR : SQL_WVARCHAR;
      if (!v.is_null()) {
        Status s = text_as_utf8 ? StoreUtf8Text(slot, v.text_value()) : StoreText(slot, v.text_value());
        if (!s.ok()) return Error(s);
      }
      break;
    case ValueType::kBytes: {
      slot.c_type = SQL_C_BINARY;
      slot.sql_type = SQL_VARBINARY;
      if (v.is_null()) break;
      const Bytes& b = v.bytes_value();
      slot.sql_type = b.size() <= kMaxShortBinary ? SQL_VARBINARY : SQL_LONGVARBINARY;
      slot.column_size = std::max<size_t>(b.size(), 1);
      slot.buffer.assign(b.begin(), b.end());
      if (slot.buffer.empty()) slot.buffer.push_back(0);
      slot.indicator = static_cast<SQLLEN>(b.size());
      break;
    }
    case ValueType::kDate: {
      slot.c_type = SQL_C_TYPE_DATE;
      slot.sql_type = SQL_TYPE_DATE;
      slot.column_size = 10;
      if (v.is_null()) break;
      Status s = ValidateDate(v.date_value());
      if (!s.ok()) return Error(s);
      SQL_DATE_STRUCT d{};
      d.year = static_cast<SQLSMALLINT>(v.date_value().year);
      d.month = static_cast<SQLUSMALLINT>(v.date_value().month);
      d.day = static_cast<SQLUSMALLINT>(v.date_value().day);
      Store(slot, d);
      break;
    }
    case ValueType::kTimestamp: {
      if (timestamp_as_text) {
        slot.c_type = SQL_C_WCHAR;
        slot.sql_type = SQL_WVARCHAR;
        slot.column_size = 26;
      } else {
        slot.c_type = SQL_C_TYPE_TIMESTAMP;
        slot.sql_type = SQL_TYPE_TIMESTAMP;
        slot.column_size = 26;
        slot.digits = 6;
      }
      if (v.is_null()) break;
      Status s = ValidateTimestamp(v.timestamp_value());
      if (!s.ok()) return Error(s);
      if (timestamp_as_text) {
        s = StoreText(slot, FormatTimestamp(v.timestamp_value()));
        if (!s.ok()) return Error(s);
        slot.sql_type = SQL_WVARCHAR;
      } else {
        Store(slot, ToOdbc(v.timestamp_value()));
      }
      break;
    }
  }
  if (v.is_null()) {
    // A NULL still gets a real buffer: some drivers reject a null pointer
    // even with SQL_NULL_DATA (nanodbc #220).
    slot.buffer.assign(16, 0);
    slot.indicator = SQL_NULL_DATA;
  }
  return slot;
}

}  // namespace

struct Statement::Impl {
  std::weak_ptr<internal::ConnectionState> conn;
  uint64_t generation = 0;
  SQLHSTMT handle = SQL_NULL_HSTMT;
  std::string preview;
  std::vector<std::optional<Value>> params;
  size_t param_count = 0;  // markers in the SQL, per SQLNumParams
  std::vector<Slot> slots;
  std::vector<ColumnInfo> columns;
  bool cursor_open = false;

  ~Impl() {
    if (auto st = conn.lock(); st && st->generation == generation && st->connected) {
      st->statements.erase(handle);
      SQLFreeHandle(SQL_HANDLE_STMT, handle);
    }
  }

  // The connection, if this statement's link is still the current one.
  Result<std::shared_ptr<internal::ConnectionState>> Live() const {
    auto st = conn.lock();
    if (!st || st->generation != generation || !st->connected) {
      return Error(FailedPreconditionError(
          "statement belongs to a closed or reconnected connection; prepare it again: " + preview));
    }
    return st;
  }

  Status Check(const internal::ConnectionState& st, SQLRETURN rc, std::string_view what) const {
    return st.Check(rc, SQL_HANDLE_STMT, handle, std::string(what) + " (" + preview + ")");
  }

  std::string ColumnLabel(size_t column) const {
    std::string label = "column " + std::to_string(column);
    if (column >= 1 && column <= columns.size() && !columns[column - 1].name.empty()) {
      label += " (" + columns[column - 1].name + ")";
    }
    return label;
  }

  // Reads a fixed-size value. False when NULL.
  Result<bool> GetFixed(size_t column, SQLSMALLINT c_type, void* buf, SQLLEN len) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto st, Live());
    SQLLEN ind = 0;
    SQLRETURN rc = SQLGetData(handle, static_cast<SQLUSMALLINT>(column), c_type, buf, len, &ind);
    ZCRMSYNC_RETURN_IF_ERROR(Check(*st, rc, "read " + ColumnLabel(column)));
    return ind != SQL_NULL_DATA;
  }

  // Reads a long value in chunks, handing each to `take`: its bytes, whether
  // more follow, and the bytes left including this chunk when the driver
  // knows them. False when NULL. SQL_C_WCHAR leaves room for a terminator in
  // every chunk, SQL_C_BINARY does not.
  using ChunkSink =
      std::function<Status(const void* data, size_t bytes, bool more, std::optional<size_t> left)>;
  Result<bool> ReadLong(size_t column, SQLSMALLINT c_type, const ChunkSink& take) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto st, Live());
    const std::string what = "read " + ColumnLabel(column);
    std::vector<char16_t> chunk(kChunkBytes / sizeof(char16_t));  // aligned for wide text
    const size_t chunk_bytes = chunk.size() * sizeof(char16_t);
    const size_t room = chunk_bytes - (c_type == SQL_C_WCHAR  ? sizeof(SQLWCHAR)
                                       : c_type == SQL_C_CHAR ? 1
                                                              : 0);
    for (bool first = true;; first = false) {
      SQLLEN ind = 0;
      SQLRETURN rc = SQLGetData(handle, static_cast<SQLUSMALLINT>(column), c_type, chunk.data(),
                                static_cast<SQLLEN>(chunk_bytes), &ind);
      if (rc == SQL_NO_DATA) {
        if (first) return Error(InternalError(what + ": no data (column read twice or out of order?)"));
        return true;
      }
      ZCRMSYNC_RETURN_IF_ERROR(Check(*st, rc, what));
      if (ind == SQL_NULL_DATA) return false;
      // SQL_NO_TOTAL: the driver does not know what is left; the chunk is full.
      std::optional<size_t> left;
      if (ind != SQL_NO_TOTAL) left = static_cast<size_t>(std::max<SQLLEN>(ind, 0));
      const size_t got = std::min(left.value_or(room), room);
      // SQL_SUCCESS_WITH_INFO: 01004 (truncated) means more to come.
      const bool more = rc != SQL_SUCCESS && (!left || *left > room);
      ZCRMSYNC_RETURN_IF_ERROR(take(chunk.data(), got, more, left));
      if (!more) return true;
    }
  }
};

Statement::Statement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

Result<Statement> Connection::Prepare(std::string_view sql) {
  if (!state_ || !state_->connected) return Error(UnavailableError("prepare: not connected"));
  auto impl = std::make_unique<Statement::Impl>();
  impl->conn = state_;
  impl->generation = state_->generation;
  impl->preview = Preview(sql);
  SQLHSTMT h = SQL_NULL_HSTMT;
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, state_->dbc, &h);
  ZCRMSYNC_RETURN_IF_ERROR(
      state_->Check(rc, SQL_HANDLE_DBC, state_->dbc, "allocate statement (" + impl->preview + ")"));
  impl->handle = h;  // freed by ~Impl (or by a disconnect) from here on
  state_->statements.insert(h);
  if (state_->options.query_timeout.count() > 0) {
    rc = SQLSetStmtAttrW(h, SQL_ATTR_QUERY_TIMEOUT,
                         reinterpret_cast<SQLPOINTER>(
                             static_cast<SQLULEN>(state_->options.query_timeout.count())),
                         0);
    if (!SQL_SUCCEEDED(rc)) {
      Status s = impl->Check(*state_, rc, "set query timeout");
      log::Logger("odbc").Warn("driver refused the query timeout", {{"error", s.message()}});
    }
  }
  if (state_->driver.family == DriverFamily::kSQLite) {
    // sqliteodbc has no wide API: unixODBC would convert the W call through
    // UCS-2 and lose every character outside the BMP. The narrow call hands
    // the driver our UTF-8 unchanged, which is what SQLite expects.
    std::string utf8(sql);
    rc = SQLPrepare(h, reinterpret_cast<SQLCHAR*>(utf8.data()), static_cast<SQLINTEGER>(utf8.size()));
  } else {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<SQLWCHAR> wide, internal::ToWide(sql));
    rc = SQLPrepareW(h, wide.data(), SQL_NTS);
  }
  ZCRMSYNC_RETURN_IF_ERROR(impl->Check(*state_, rc, "prepare"));
  SQLSMALLINT markers = 0;
  if (SQL_SUCCEEDED(SQLNumParams(h, &markers)) && markers > 0) {
    impl->param_count = static_cast<size_t>(markers);
  }
  return Statement(std::move(impl));
}

Status Statement::Bind(size_t index, Value value) {
  if (index == 0) return InvalidArgumentError("parameter index is 1-based; got 0");
  if (impl_->params.size() < index) impl_->params.resize(index);
  impl_->params[index - 1] = std::move(value);
  return Status();
}

Status Statement::BindAll(std::vector<Value> values) {
  impl_->params.clear();
  for (Value& v : values) impl_->params.emplace_back(std::move(v));
  return Status();
}

void Statement::ClearBindings() { impl_->params.clear(); }

Status Statement::CloseCursor() {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto st, impl_->Live());
  if (!impl_->cursor_open) return Status();
  impl_->cursor_open = false;
  // SQL_CLOSE, unlike SQLCloseCursor, is not an error when no cursor is open.
  return impl_->Check(*st, SQLFreeStmt(impl_->handle, SQL_CLOSE), "close cursor");
}

Result<int64_t> Statement::Execute() {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto st, impl_->Live());
  Impl& im = *impl_;
  if (im.cursor_open) {
    im.cursor_open = false;
    ZCRMSYNC_RETURN_IF_ERROR(im.Check(*st, SQLFreeStmt(im.handle, SQL_CLOSE), "close cursor"));
  }
  im.columns.clear();
  ZCRMSYNC_RETURN_IF_ERROR(
      im.Check(*st, SQLFreeStmt(im.handle, SQL_RESET_PARAMS), "reset parameters"));
  // Build every buffer first, then bind: the slots must not move once bound.
  if (im.params.size() < im.param_count) {
    return Error(InvalidArgumentError(
        "the statement has " + std::to_string(im.param_count) + " parameters but only " +
        std::to_string(im.params.size()) + " are bound (" + im.preview + ")"));
  }
  std::vector<Slot> slots;
  slots.reserve(im.params.size());
  for (size_t i = 0; i < im.params.size(); ++i) {
    if (!im.params[i]) {
      return Error(InvalidArgumentError("parameter " + std::to_string(i + 1) +
                                        " is not bound (" + im.preview + ")"));
    }
    auto slot = MakeSlot(*im.params[i], st->driver.family, st->driver.text_as_utf8);
    if (!slot) {
      return Error(slot.error().WithContext("parameter " + std::to_string(i + 1) + " (" +
                                            im.preview + ")"));
    }
    slots.push_back(std::move(*slot));
  }
  im.slots = std::move(slots);
  for (size_t i = 0; i < im.slots.size(); ++i) {
    Slot& s = im.slots[i];
    SQLRETURN rc = SQLBindParameter(im.handle, static_cast<SQLUSMALLINT>(i + 1), SQL_PARAM_INPUT,
                                    s.c_type, s.sql_type, s.column_size, s.digits, s.buffer.data(),
                                    static_cast<SQLLEN>(s.buffer.size()), &s.indicator);
    ZCRMSYNC_RETURN_IF_ERROR(im.Check(*st, rc, "bind parameter " + std::to_string(i + 1)));
  }
  SQLRETURN rc = SQLExecute(im.handle);
  if (rc == SQL_NO_DATA) return int64_t{0};  // a searched UPDATE/DELETE that matched nothing
  ZCRMSYNC_RETURN_IF_ERROR(im.Check(*st, rc, "execute"));

  SQLSMALLINT ncols = 0;
  ZCRMSYNC_RETURN_IF_ERROR(
      im.Check(*st, SQLNumResultCols(im.handle, &ncols), "count result columns"));
  for (SQLSMALLINT c = 1; c <= ncols; ++c) {
    SQLWCHAR name[256] = {0};
    SQLSMALLINT name_len = 0, type = 0, digits = 0, nullable = SQL_NULLABLE_UNKNOWN;
    SQLULEN size = 0;
    rc = SQLDescribeColW(im.handle, static_cast<SQLUSMALLINT>(c), name,
                         static_cast<SQLSMALLINT>(std::size(name)), &name_len, &type, &size,
                         &digits, &nullable);
    ZCRMSYNC_RETURN_IF_ERROR(im.Check(*st, rc, "describe column " + std::to_string(c)));
    ColumnInfo info;
    info.name = internal::FromWideLossy(
        name, std::min<size_t>(static_cast<size_t>(std::max<SQLSMALLINT>(name_len, 0)),
                               std::size(name) - 1));
    info.sql_type = type;
    info.size = size;
    info.decimal_digits = digits;
    info.nullable = nullable != SQL_NO_NULLS;
    info.value_type = ValueTypeForSqlType(type);
    im.columns.push_back(std::move(info));
  }
  im.cursor_open = ncols > 0;
  SQLLEN rows = -1;
  if (!SQL_SUCCEEDED(SQLRowCount(im.handle, &rows))) rows = -1;
  return static_cast<int64_t>(rows);
}

const std::vector<ColumnInfo>& Statement::columns() const { return impl_->columns; }

Result<bool> Statement::Fetch() {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto st, impl_->Live());
  if (!impl_->cursor_open) return false;
  SQLRETURN rc = SQLFetch(impl_->handle);
  if (rc == SQL_NO_DATA) return false;
  ZCRMSYNC_RETURN_IF_ERROR(impl_->Check(*st, rc, "fetch"));
  return true;
}

Result<std::optional<int64_t>> Statement::GetInt64(size_t column) {
  SQLBIGINT v = 0;
  ZCRMSYNC_ASSIGN_OR_RETURN(bool present, impl_->GetFixed(column, SQL_C_SBIGINT, &v, sizeof v));
  if (!present) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(v));
}

Result<std::optional<double>> Statement::GetDouble(size_t column) {
  SQLDOUBLE v = 0;
  ZCRMSYNC_ASSIGN_OR_RETURN(bool present, impl_->GetFixed(column, SQL_C_DOUBLE, &v, sizeof v));
  if (!present) return std::optional<double>();
  return std::optional<double>(v);
}

Result<std::optional<bool>> Statement::GetBool(size_t column) {
  unsigned char v = 0;
  ZCRMSYNC_ASSIGN_OR_RETURN(bool present, impl_->GetFixed(column, SQL_C_BIT, &v, sizeof v));
  if (!present) return std::optional<bool>();
  return std::optional<bool>(v != 0);
}

Result<std::optional<std::string>> Statement::GetText(size_t column) {
  // Converted a chunk at a time, so a long value (a change row of a big
  // statement can hold megabytes) is never held twice as UTF-16.
  const std::string what = "read " + impl_->ColumnLabel(column);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto st, impl_->Live());
  if (st->driver.text_as_utf8) {
    std::string bytes;
    ZCRMSYNC_ASSIGN_OR_RETURN(
        bool present,
        impl_->ReadLong(column, SQL_C_CHAR,
                        [&](const void* data, size_t n, bool, std::optional<size_t> left) -> Status {
                          if (bytes.empty() && left) bytes.reserve(*left);
                          bytes.append(static_cast<const char*>(data), n);
                          return Status();
                        }));
    if (!present) return std::optional<std::string>();
    if (Status s = CheckUtf8(bytes); !s.ok()) return Error(s.WithContext(what));
    return std::optional<std::string>(std::move(bytes));
  }
  std::u16string carry;  // a high surrogate split from its pair
  std::string out;
  ZCRMSYNC_ASSIGN_OR_RETURN(
      bool present,
      impl_->ReadLong(column, SQL_C_WCHAR,
                      [&](const void* data, size_t bytes, bool more, std::optional<size_t> left) -> Status {
                        // The first chunk tells the whole length: one allocation (exact for ASCII).
                        if (out.empty() && left) out.reserve(*left / sizeof(char16_t));
                        std::u16string units = std::move(carry);
                        carry.clear();
                        units.append(static_cast<const char16_t*>(data), bytes / sizeof(char16_t));
                        if (more && !units.empty() && units.back() >= 0xD800 && units.back() <= 0xDBFF) {
                          carry.push_back(units.back());
                          units.pop_back();
                        }
                        auto utf8 = Utf16ToUtf8(units);
                        if (!utf8) return utf8.error().WithContext(what);
                        out += *utf8;
                        return Status();
                      }));
  if (!present) return std::optional<std::string>();
  if (!carry.empty()) return Error(InvalidArgumentError(what + ": unpaired UTF-16 surrogate at the end"));
  return std::optional<std::string>(std::move(out));
}

Result<std::optional<std::string>> Statement::GetDecimal(size_t column) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto text, GetText(column));
  if (!text) return text;
  std::string_view v = *text;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (!IsValidDecimal(v)) {
    return Error(InvalidArgumentError("read " + impl_->ColumnLabel(column) +
                                      ": not an exact decimal: '" + std::string(v) + "'"));
  }
  return std::optional<std::string>(std::string(v));
}

Result<std::optional<Bytes>> Statement::GetBytes(size_t column) {
  Bytes out;
  ZCRMSYNC_ASSIGN_OR_RETURN(
      bool present,
      impl_->ReadLong(column, SQL_C_BINARY,
                      [&](const void* data, size_t bytes, bool, std::optional<size_t> left) -> Status {
                        if (out.empty() && left) out.reserve(*left);  // one allocation
                        const auto* p = static_cast<const uint8_t*>(data);
                        out.insert(out.end(), p, p + bytes);
                        return Status();
                      }));
  if (!present) return std::optional<Bytes>();
  return std::optional<Bytes>(std::move(out));
}

Result<std::optional<Date>> Statement::GetDate(size_t column) {
  SQL_DATE_STRUCT d{};
  ZCRMSYNC_ASSIGN_OR_RETURN(bool present, impl_->GetFixed(column, SQL_C_TYPE_DATE, &d, sizeof d));
  if (!present) return std::optional<Date>();
  return std::optional<Date>(Date{d.year, d.month, d.day});
}

Result<std::optional<Timestamp>> Statement::GetTimestamp(size_t column) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto st, impl_->Live());
  if (st->driver.family == DriverFamily::kSQLite) {
    // Stored as text (see MakeSlot); parse it ourselves to keep microseconds.
    ZCRMSYNC_ASSIGN_OR_RETURN(auto text, GetText(column));
    if (!text) return std::optional<Timestamp>();
    auto t = ParseTimestamp(*text);
    if (!t) return Error(t.error().WithContext("read " + impl_->ColumnLabel(column)));
    return std::optional<Timestamp>(*t);
  }
  SQL_TIMESTAMP_STRUCT ts{};
  ZCRMSYNC_ASSIGN_OR_RETURN(bool present,
                            impl_->GetFixed(column, SQL_C_TYPE_TIMESTAMP, &ts, sizeof ts));
  if (!present) return std::optional<Timestamp>();
  return std::optional<Timestamp>(Timestamp{ts.year, ts.month, ts.day, ts.hour, ts.minute,
                                            ts.second, static_cast<int>(ts.fraction / 1000)});
}

Result<Value> Statement::GetValue(size_t column, ValueType type) {
  auto wrap = [type](auto&& r, auto make) -> Result<Value> {
    if (!r) return Error(r.error());
    if (!*r) return Value::Null(type);
    return make(std::move(**r));
  };
  switch (type) {
    case ValueType::kBool: return wrap(GetBool(column), [](bool v) { return Value::Bool(v); });
    case ValueType::kInt64: return wrap(GetInt64(column), [](int64_t v) { return Value::Int64(v); });
    case ValueType::kDouble: return wrap(GetDouble(column), [](double v) { return Value::Double(v); });
    case ValueType::kDecimal:
      return wrap(GetDecimal(column), [](std::string v) { return Value::Decimal(std::move(v)); });
    case ValueType::kText:
      return wrap(GetText(column), [](std::string v) { return Value::Text(std::move(v)); });
    case ValueType::kBytes:
      return wrap(GetBytes(column), [](Bytes v) { return Value::Binary(std::move(v)); });
    case ValueType::kDate: return wrap(GetDate(column), [](Date v) { return Value::FromDate(v); });
    case ValueType::kTimestamp:
      return wrap(GetTimestamp(column), [](Timestamp v) { return Value::FromTimestamp(v); });
  }
  return Error(InternalError("unknown value type"));
}

Result<Row> Statement::GetRow() {
  Row row;
  row.reserve(impl_->columns.size());
  for (size_t c = 1; c <= impl_->columns.size(); ++c) {
    ZCRMSYNC_ASSIGN_OR_RETURN(Value v, GetValue(c, impl_->columns[c - 1].value_type));
    row.push_back(std::move(v));
  }
  return row;
}

Result<std::vector<Row>> Statement::FetchBatch(size_t max_rows) {
  std::vector<Row> rows;
  while (rows.size() < max_rows) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool more, Fetch());
    if (!more) break;
    ZCRMSYNC_ASSIGN_OR_RETURN(Row row, GetRow());
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace zcrmsync::odbc
