// Statement: a prepared statement with parameters bound by value into buffers
// it owns (so callers keep nothing alive), every bind with an explicit SQL type
// and size (SQLDescribeParam is never trusted: nanodbc #216), typed getters
// that return std::nullopt for NULL, and chunked reads of long text and binary
// that cope with SQL_NO_TOTAL (nanodbc #160). Move-only; not thread-safe.
//
// Column values must be read in ascending column order, each at most once per
// row: that is all SQLGetData guarantees on every driver.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/value.h"

namespace zcrmsync::odbc {

namespace internal {
struct ConnectionState;
}

struct ColumnInfo {
  std::string name;
  int sql_type = 0;           // SQL_* type code reported by the driver
  uint64_t size = 0;          // column size
  int decimal_digits = 0;
  bool nullable = true;
  ValueType value_type = ValueType::kText;  // how GetRow() reads it
};

using Row = std::vector<Value>;

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Sets parameter `index` (1-based). The value is copied. INVALID_ARGUMENT for
  // index 0, a malformed decimal, invalid UTF-8 or an impossible date.
  Status Bind(size_t index, Value value);
  // Replaces all parameters with `values` (parameter i+1 = values[i]).
  Status BindAll(std::vector<Value> values);
  void ClearBindings();

  // Closes any open cursor, binds the parameters and executes. Returns the
  // affected row count (-1 when unknown; SQLite reports 0 after a SELECT).
  Result<int64_t> Execute();

  // Result-set shape after Execute(); empty when the statement returns no rows.
  const std::vector<ColumnInfo>& columns() const;

  // Moves to the next row: true when there is one, false at the end.
  Result<bool> Fetch();

  // Typed getters for the current row; `column` is 1-based.
  Result<std::optional<int64_t>> GetInt64(size_t column);
  Result<std::optional<double>> GetDouble(size_t column);
  Result<std::optional<bool>> GetBool(size_t column);
  Result<std::optional<std::string>> GetText(size_t column);     // UTF-8, any length
  Result<std::optional<std::string>> GetDecimal(size_t column);  // exact decimal text
  Result<std::optional<Bytes>> GetBytes(size_t column);          // any length
  Result<std::optional<Date>> GetDate(size_t column);
  Result<std::optional<Timestamp>> GetTimestamp(size_t column);
  // Reads the column as `type` (NULL comes back as Value::Null(type)).
  Result<Value> GetValue(size_t column, ValueType type);
  // Every column of the current row, each read as columns()[i].value_type.
  Result<Row> GetRow();

  // Fetches up to `max_rows` rows; an empty vector means the result set is done.
  Result<std::vector<Row>> FetchBatch(size_t max_rows);

  Status CloseCursor();

 private:
  friend class Connection;
  struct Impl;
  explicit Statement(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zcrmsync::odbc
