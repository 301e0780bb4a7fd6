#include "change_capture/change_reader.h"

#include <charconv>

#include "core/log.h"
#include "core/status_macros.h"
#include "odbc/statement.h"

namespace zcrmsync::change_capture {
namespace {

struct PgCursor {
  std::string txid = "0";
  int64_t change_id = 0;
};

Result<int64_t> ParseInt(std::string_view s, const std::string& cursor) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return Error(InvalidArgumentError("malformed change cursor '" + cursor + "'"));
  }
  return v;
}

Result<PgCursor> ParsePgCursor(const std::string& cursor) {
  if (cursor.empty()) return PgCursor{};
  const size_t colon = cursor.find(':');
  if (colon == std::string::npos) {
    return Error(InvalidArgumentError("malformed PostgreSQL change cursor '" + cursor + "'"));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t txid, ParseInt(cursor.substr(0, colon), cursor));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t id, ParseInt(cursor.substr(colon + 1), cursor));
  return PgCursor{std::to_string(txid), id};
}

Result<int64_t> ParseIdCursor(const std::string& cursor) {
  if (cursor.empty()) return int64_t{0};
  return ParseInt(cursor, cursor);
}

// Binds the cursor (and the limit) the way the dialect's template lists them.
Status BindCursor(odbc::Statement& stmt, Dialect dialect, const std::string& cursor, size_t limit) {
  const auto lim = Value::Int64(static_cast<int64_t>(limit));
  switch (dialect) {
    case Dialect::kPostgreSQL: {
      ZCRMSYNC_ASSIGN_OR_RETURN(PgCursor c, ParsePgCursor(cursor));
      return stmt.BindAll({Value::Text(c.txid), Value::Text(c.txid), Value::Int64(c.change_id), lim});
    }
    case Dialect::kMySQL:
    case Dialect::kSQLite: {
      ZCRMSYNC_ASSIGN_OR_RETURN(int64_t id, ParseIdCursor(cursor));
      return stmt.BindAll({Value::Int64(id), lim});
    }
    case Dialect::kSqlServer: {
      // "0x0000000000000ABC": the rowversion as binary(8).
      Bytes rv(8, 0);
      if (!cursor.empty()) {
        if (cursor.size() != 18 || cursor.rfind("0x", 0) != 0) {
          return InvalidArgumentError("malformed SQL Server change cursor '" + cursor + "'");
        }
        for (size_t i = 0; i < 8; ++i) {
          unsigned v = 0;
          auto [p, ec] = std::from_chars(cursor.data() + 2 + 2 * i, cursor.data() + 4 + 2 * i, v, 16);
          if (ec != std::errc()) {
            return InvalidArgumentError("malformed SQL Server change cursor '" + cursor + "'");
          }
          rv[i] = static_cast<uint8_t>(v);
        }
      }
      return stmt.BindAll({lim, Value::Binary(std::move(rv))});
    }
  }
  return InternalError("unknown dialect");
}

}  // namespace

ChangeReader::ChangeReader(odbc::Connection& connection, KitOptions kit, ReaderOptions options,
                           Clock& clock)
    : connection_(connection), kit_(std::move(kit)), options_(options), clock_(clock) {}

Result<std::vector<Change>> ChangeReader::Next(const std::string& cursor, size_t limit) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "read_changes.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(BindCursor(stmt, kit_.dialect, cursor, limit));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("read changes"));
  std::vector<Change> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool more, stmt.Fetch());
    if (!more) break;
    Change c;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto id, stmt.GetInt64(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto mapping, stmt.GetText(2));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto key, stmt.GetText(3));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto op, stmt.GetText(4));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto at, stmt.GetTimestamp(5));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto position, stmt.GetText(6));
    if (!id || !mapping || !key || !op || op->size() != 1 || !position) {
      return Error(DataLossError("malformed change row (change_id " +
                                 std::to_string(id.value_or(-1)) + ")"));
    }
    c.change_id = *id;
    c.mapping = std::move(*mapping);
    c.key_json = std::move(*key);
    c.op = (*op)[0];
    c.changed_at = at.value_or(Timestamp{});
    c.cursor = kit_.dialect == Dialect::kPostgreSQL ? *position + ":" + std::to_string(c.change_id)
                                                    : *position;
    out.push_back(std::move(c));
  }
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  if (kit_.dialect != Dialect::kMySQL) return out;

  // MySQL/MariaDB: hand out only the unbroken run after the cursor.
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t expected, ParseIdCursor(cursor));
  ++expected;
  std::erase_if(gaps_, [&](const auto& gap) { return gap.first < expected; });  // filled or passed
  size_t keep = 0;
  for (; keep < out.size(); ++keep) {
    const int64_t id = out[keep].change_id;
    if (id != expected) {
      ZCRMSYNC_ASSIGN_OR_RETURN(bool skip, GapCanBeSkipped(expected));
      if (!skip) break;
      log::Logger("change_capture")
          .Warn("skipping a gap in change ids: its transactions are gone (rolled back)",
                {{"first_missing", expected}, {"last_missing", id - 1}});
      gaps_.erase(expected);
    }
    expected = id + 1;
  }
  out.resize(keep);
  return out;
}

Result<bool> ChangeReader::GapCanBeSkipped(int64_t first_missing) {
  auto it = gaps_.find(first_missing);
  auto probe = [&]() -> Result<std::pair<std::optional<Timestamp>, std::optional<Timestamp>>> {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "oldest_open_transaction.sql"));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()));
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
    if (!row) return Error(InternalError("no row from oldest_open_transaction.sql"));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto oldest, stmt.GetTimestamp(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto now, stmt.GetTimestamp(2));
    return std::pair{oldest, now};
  };
  if (it == gaps_.end()) {
    GapSeen seen{clock_.SteadyNow(), std::nullopt};
    if (auto p = probe(); p.has_value()) seen.db_time = p->second;
    gaps_.emplace(first_missing, seen);
    return false;
  }
  if (it->second.db_time) {
    auto p = probe();
    if (p.has_value()) {
      // trx_started has whole seconds: a transaction that started in the same
      // second as the gap was seen may own it.
      Timestamp limit = *it->second.db_time;
      const bool open_older =
          p->first.has_value() &&
          FormatTimestamp(*p->first) <= FormatTimestamp(Timestamp{limit.year, limit.month, limit.day,
                                                                  limit.hour, limit.minute,
                                                                  limit.second, 999999});
      if (!open_older) {
        // Wait one more second of wall time so a same-second starter is seen.
        return clock_.SteadyNow() - it->second.at >= std::chrono::seconds(1);
      }
      return false;
    }
  }
  return clock_.SteadyNow() - it->second.at >= options_.gap_timeout;
}

Result<int64_t> ChangeReader::Purge(const std::string& cursor, size_t limit) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "purge_changes.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(BindCursor(stmt, kit_.dialect, cursor, limit));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, stmt.Execute());
  return rows;
}

}  // namespace zcrmsync::change_capture
