#include "change_capture/dialect.h"

namespace zcrmsync::change_capture {
namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string Doubled(std::string_view name, char open, char close) {
  std::string out(1, open);
  for (char c : name) {
    out += c;
    if (c == close) out += c;
  }
  out += close;
  return out;
}

}  // namespace

Result<Dialect> ParseDialect(std::string_view name) {
  if (name == "postgresql") return Dialect::kPostgreSQL;
  if (name == "mysql") return Dialect::kMySQL;
  if (name == "sqlite") return Dialect::kSQLite;
  if (name == "sqlserver") return Dialect::kSqlServer;
  return Error(InvalidArgumentError("unknown dialect '" + std::string(name) +
                                    "'; allowed: postgresql, mysql, sqlite, sqlserver"));
}

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kPostgreSQL: return "postgresql";
    case Dialect::kMySQL: return "mysql";
    case Dialect::kSQLite: return "sqlite";
    case Dialect::kSqlServer: return "sqlserver";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, Dialect dialect) { return os << DialectName(dialect); }

Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view name) {
  if (name.empty()) return Error(InvalidArgumentError("empty identifier"));
  if (name.find('\0') != std::string_view::npos) {
    return Error(InvalidArgumentError("identifier contains a NUL character"));
  }
  auto too_long = [&](const char* limit) {
    return Error(InvalidArgumentError("identifier '" + std::string(name) + "' is longer than " +
                                      limit + " for " + std::string(DialectName(dialect))));
  };
  switch (dialect) {
    case Dialect::kPostgreSQL:
      if (name.size() > 63) return too_long("63 bytes");
      return Doubled(name, '"', '"');
    case Dialect::kSQLite:
      return Doubled(name, '"', '"');
    case Dialect::kMySQL:
      if (CodePoints(name) > 64) return too_long("64 characters");
      return Doubled(name, '`', '`');
    case Dialect::kSqlServer:
      if (CodePoints(name) > 128) return too_long("128 characters");
      return Doubled(name, '[', ']');
  }
  return Error(InternalError("unknown dialect"));
}

}  // namespace zcrmsync::change_capture
