// COQL parser: turns a select_query into a Query the engine runs.
//   select F1, F2 from Module [where COND] [order by F [asc|desc], ...]
//   [limit [OFFSET,] N] [offset K]
// COND: comparisons (= != <> < > <= >= like, not like, in, not in, between,
// not between, is null, is not null) joined by and/or with parentheses.
// Keywords are case-insensitive. Errors carry Zoho's codes (SYNTAX_ERROR with
// near/line/column, LIMIT_EXCEEDED); field and type checks are the engine's.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zcrmsync::emulator {

struct CoqlDetail {
  std::string key;
  std::string text;
  int64_t number = 0;
  bool is_number = false;
};

struct CoqlError {
  std::string code;     // "SYNTAX_ERROR", "LIMIT_EXCEEDED", "INVALID_QUERY", ...
  std::string message;
  std::vector<CoqlDetail> details;
};

struct CoqlLiteral {
  enum class Kind { kString, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  std::string text;  // string contents, number text, "true"/"false"
};

enum class CoqlOp {
  kEq, kNe, kLt, kGt, kLe, kGe, kLike, kNotLike, kIn, kNotIn, kIsNull, kIsNotNull,
  kBetween, kNotBetween,
};

struct CoqlCondition {
  enum class Kind { kAnd, kOr, kCompare };
  Kind kind = Kind::kCompare;
  std::unique_ptr<CoqlCondition> left, right;  // kAnd, kOr
  std::string field;                           // kCompare
  CoqlOp op = CoqlOp::kEq;
  std::vector<CoqlLiteral> values;
};

struct CoqlOrder {
  std::string field;
  bool ascending = true;
};

struct CoqlQuery {
  std::vector<std::string> fields;
  std::string module;
  std::unique_ptr<CoqlCondition> where;  // null: no WHERE
  std::vector<CoqlOrder> order_by;
  int64_t limit = 200;
  int64_t offset = 0;
  int criteria_count = 0;
};

inline constexpr int64_t kCoqlMaxLimit = 2000;
inline constexpr int64_t kCoqlMaxRows = 100000;  // limit + offset

std::expected<CoqlQuery, CoqlError> ParseCoql(std::string_view query);

}  // namespace zcrmsync::emulator
