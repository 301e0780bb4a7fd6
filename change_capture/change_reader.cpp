#include "change_capture/change_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include "change_capture/catalog.h"
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

// A cursor inside a change row that holds many keys (a PostgreSQL statement,
// a queued chunk of the initial load): "<base>/<change_id>/<n>", where the
// row after <base> is change_id and its first n keys were handed out.
struct RowCursor {
  std::string base;              // a cursor at a change-row boundary
  std::optional<int64_t> row;    // the change row partly handed out
  size_t done = 0;               // how many of its keys
};

Result<RowCursor> SplitCursor(const std::string& cursor) {
  const size_t a = cursor.find('/');
  if (a == std::string::npos) return RowCursor{cursor, std::nullopt, 0};
  const size_t b = cursor.find('/', a + 1);
  if (b == std::string::npos) {
    return Error(InvalidArgumentError("malformed change cursor '" + cursor + "'"));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t row, ParseInt(cursor.substr(a + 1, b - a - 1), cursor));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t done, ParseInt(cursor.substr(b + 1), cursor));
  if (done <= 0) return Error(InvalidArgumentError("malformed change cursor '" + cursor + "'"));
  return RowCursor{cursor.substr(0, a), row, static_cast<size_t>(done)};
}

// The cursor's parameters, in the order the dialect's templates list them.
Result<std::vector<Value>> CursorParams(Dialect dialect, const std::string& cursor) {
  switch (dialect) {
    case Dialect::kPostgreSQL: {
      ZCRMSYNC_ASSIGN_OR_RETURN(PgCursor c, ParsePgCursor(cursor));
      return std::vector<Value>{Value::Text(c.txid), Value::Text(c.txid), Value::Int64(c.change_id)};
    }
    case Dialect::kMySQL:
    case Dialect::kSQLite: {
      ZCRMSYNC_ASSIGN_OR_RETURN(int64_t id, ParseIdCursor(cursor));
      return std::vector<Value>{Value::Int64(id)};
    }
    case Dialect::kSqlServer: {
      // "0x0000000000000ABC": the rowversion as binary(8).
      Bytes rv(8, 0);
      if (!cursor.empty()) {
        if (cursor.size() != 18 || cursor.rfind("0x", 0) != 0) {
          return Error(InvalidArgumentError("malformed SQL Server change cursor '" + cursor + "'"));
        }
        for (size_t i = 0; i < 8; ++i) {
          unsigned v = 0;
          auto [p, ec] = std::from_chars(cursor.data() + 2 + 2 * i, cursor.data() + 4 + 2 * i, v, 16);
          if (ec != std::errc()) {
            return Error(InvalidArgumentError("malformed SQL Server change cursor '" + cursor + "'"));
          }
          rv[i] = static_cast<uint8_t>(v);
        }
      }
      return std::vector<Value>{Value::Binary(std::move(rv))};
    }
  }
  return Error(InternalError("unknown dialect"));
}

// Binds the cursor, then `extra`, then the limit (unless nullopt), the way
// the dialect's templates list them (SQL Server's TOP (?) comes first).
Status BindCursor(odbc::Statement& stmt, Dialect dialect, const std::string& cursor,
                  std::optional<size_t> limit, std::vector<Value> extra = {}) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<Value> v, CursorParams(dialect, cursor));
  for (Value& e : extra) v.push_back(std::move(e));
  if (limit) {
    Value lim = Value::Int64(static_cast<int64_t>(*limit));
    if (dialect == Dialect::kSqlServer) {
      v.insert(v.begin(), std::move(lim));
    } else {
      v.push_back(std::move(lim));
    }
  }
  return stmt.BindAll(std::move(v));
}

// A minimal reader for the one JSON shape the triggers write.
class KeysParser {
 public:
  explicit KeysParser(std::string_view text) : s_(text) {}

  Result<std::vector<std::vector<std::string>>> Parse() {
    ZCRMSYNC_ASSIGN_OR_RETURN(KeySlice all, ParseRange(0, std::numeric_limits<size_t>::max()));
    return std::move(all.keys);
  }

  // Keys [first, first + max) of the array, and whether more follow them.
  // Keys before `first` are stepped over without being decoded, so a row of
  // a million keys is not decoded whole for each slice of it.
  Result<KeySlice> ParseRange(size_t first, size_t max) {
    KeySlice out;
    if (!Eat('[')) return Fail("expected [");
    if (Eat(']')) return End(std::move(out));
    size_t index = 0;
    do {
      if (index >= first && index - first >= max) {
        out.more = true;
        return out;
      }
      const bool keep = index >= first;
      std::vector<std::string> key;
      if (!Eat('[')) {
        // A one-column key may be written as its bare text.
        ZCRMSYNC_ASSIGN_OR_RETURN(std::string v, String(keep));
        key.push_back(std::move(v));
      } else if (!Eat(']')) {
        do {
          ZCRMSYNC_ASSIGN_OR_RETURN(std::string v, String(keep));
          key.push_back(std::move(v));
        } while (Eat(','));
        if (!Eat(']')) return Fail("expected ] after a key");
      }
      if (keep) out.keys.push_back(std::move(key));
      ++index;
    } while (Eat(','));
    if (!Eat(']')) return Fail("expected ]");
    return End(std::move(out));
  }

 private:
  void Skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool Eat(char c) {
    Skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<KeySlice> End(KeySlice keys) {
    Skip();
    if (i_ != s_.size()) return Fail("trailing text");
    return keys;
  }
  std::unexpected<Status> Fail(const std::string& what) {
    return Error(InvalidArgumentError("keys_json: " + what + " at offset " + std::to_string(i_)));
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  Result<uint32_t> Hex4() {
    if (i_ + 4 > s_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, v, 16);
    if (ec != std::errc() || p != s_.data() + i_ + 4) return Fail("bad \\u escape");
    i_ += 4;
    return v;
  }
  // The next string; with `keep` false it is checked but not decoded (empty).
  Result<std::string> String(bool keep) {
    if (!Eat('"')) {
      // Keys are text; a bare number (a trigger that did not cast) is read as-is.
      size_t start = i_;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                                s_[i_] == '.')) {
        ++i_;
      }
      if (start == i_) return Fail("expected a string");
      return std::string(s_.substr(start, i_ - start));
    }
    std::string out;
    if (!keep) {
      while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
      if (i_ >= s_.size()) return Fail("unterminated string");
      ++i_;
      return out;
    }
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return Fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          ZCRMSYNC_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
            i_ += 2;
            ZCRMSYNC_ASSIGN_OR_RETURN(uint32_t low, Hex4());
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default: return Fail("bad escape");
      }
    }
    if (i_ >= s_.size()) return Fail("unterminated string");
    ++i_;
    return out;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseKeys(std::string_view keys_json) {
  return KeysParser(keys_json).Parse();
}

Result<KeySlice> ParseKeySlice(std::string_view keys_json, size_t first, size_t max) {
  return KeysParser(keys_json).ParseRange(first, max);
}

std::string KeyToJson(const std::vector<std::string>& key) {
  std::string out = "[";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : key[i]) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20) {
        static const char* kHex = "0123456789abcdef";
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xF];
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out + "]";
}

ChangeReader::ChangeReader(odbc::Connection& connection, KitOptions kit, ReaderOptions options,
                           Clock& clock)
    : connection_(connection), kit_(std::move(kit)), options_(options), clock_(clock) {}

Result<std::vector<Change>> ChangeReader::Next(const std::string& cursor, size_t limit) {
  ZCRMSYNC_ASSIGN_OR_RETURN(RowCursor from, SplitCursor(cursor));
  // MySQL/MariaDB: whether each known gap in the ids may be stepped over is
  // decided BEFORE the rows are read. A gap's transaction that commits
  // between the two is then either seen open by the probe (the gap waits)
  // or seen committed by the read (the gap is filled); deciding after the
  // read once skipped such a row and purged it unread (issue #12, defect 5).
  std::set<int64_t> skippable;
  int64_t expected = 0;
  if (kit_.dialect == Dialect::kMySQL) {
    ZCRMSYNC_RETURN_IF_ERROR(LoadIdStep());
    ZCRMSYNC_ASSIGN_OR_RETURN(int64_t after, ParseIdCursor(from.base));
    expected = NextId(after);
    ZCRMSYNC_RETURN_IF_ERROR(LoadGaps(expected));
    for (const auto& [first_missing, seen] : gaps_) {
      ZCRMSYNC_ASSIGN_OR_RETURN(bool skip, GapCanBeSkipped(first_missing));
      if (skip) skippable.insert(first_missing);
    }
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "read_changes.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(BindCursor(stmt, kit_.dialect, from.base, limit));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("read changes"));
  std::vector<Change> out;
  std::string before = from.base;  // the cursor just before the current row
  while (out.size() < limit) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool more, stmt.Fetch());
    if (!more) break;
    Change c;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto id, stmt.GetInt64(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto mapping, stmt.GetText(2));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto key, stmt.GetText(3));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto op, stmt.GetText(4));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto at, stmt.GetTimestamp(5));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto position, stmt.GetText(6));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto key_text, stmt.GetText(7));
    if (!id || !mapping || (!key && !key_text) || !op || op->size() != 1 || !position) {
      return Error(DataLossError("malformed change row (change_id " +
                                 std::to_string(id.value_or(-1)) + ")"));
    }
    c.change_id = *id;
    c.mapping = std::move(*mapping);
    c.op = (*op)[0];
    c.changed_at = at.value_or(Timestamp{});
    c.cursor = kit_.dialect == Dialect::kPostgreSQL ? *position + ":" + std::to_string(c.change_id)
                                                    : *position;
    auto malformed = [&](const std::string& what) {
      return Error(DataLossError("change " + std::to_string(c.change_id) + " of mapping " +
                                 c.mapping + ": " + what));
    };
    if (c.op == 'K') {
      // A key change of one row: keys_json holds [old key, new key], handed
      // out as one change of the new key that names the old one.
      if (!key) return malformed("a key change without keys_json");
      auto both = ParseKeys(*key);
      if (!both) return malformed(both.error().message());
      if (both->size() != 2) return malformed("a key change needs two keys, found " + std::to_string(both->size()));
      c.old_key = std::move((*both)[0]);
      c.old_key_json = KeyToJson(c.old_key);
      c.key = std::move((*both)[1]);
      c.key_json = KeyToJson(c.key);
      out.push_back(std::move(c));
      before = out.back().cursor;
      continue;
    }
    // At most `limit` keys: a row with more is handed out in parts, each
    // key's cursor naming the row and how many of its keys are done.
    const size_t first = from.row && *from.row == c.change_id ? from.done : 0;
    KeySlice keys;
    if (key) {
      // The row-level triggers store a one-column key as plain text instead.
      auto range = KeysParser(*key).ParseRange(first, limit - out.size());
      if (!range) return malformed(range.error().message());
      keys = std::move(*range);
    } else if (first == 0) {
      keys.keys.push_back({std::move(*key_text)});
    }
    for (size_t j = 0; j < keys.keys.size(); ++j) {
      Change one = c;
      if (j + 1 < keys.keys.size() || keys.more) {
        one.cursor = before + "/" + std::to_string(c.change_id) + "/" + std::to_string(first + j + 1);
      }
      one.key_json = KeyToJson(keys.keys[j]);
      one.key = std::move(keys.keys[j]);
      out.push_back(std::move(one));
    }
    before = c.cursor;
  }
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  if (options_.on_rows_read) options_.on_rows_read();
  if (kit_.dialect != Dialect::kMySQL) return out;

  // MySQL/MariaDB: hand out only the unbroken run of change ids after the
  // cursor, stepping over the gaps judged skippable before the read.
  size_t keep = 0;
  for (; keep < out.size(); ++keep) {
    const int64_t id = out[keep].change_id;
    if (keep > 0 && out[keep - 1].change_id == id) continue;  // more keys of one change row
    if (id != expected) {
      if (!skippable.contains(expected)) {
        if (!gaps_.contains(expected)) ZCRMSYNC_RETURN_IF_ERROR(NoteGap(expected));
        break;
      }
      log::Logger("change_capture")
          .Warn("skipping a gap in change ids: its transactions are gone (rolled back)",
                {{"first_missing", expected}, {"last_missing", id - 1}});
      ZCRMSYNC_RETURN_IF_ERROR(ForgetGap(expected));
    }
    expected = NextId(id);
  }
  out.resize(keep);
  return out;
}

Status ChangeReader::LoadIdStep() {
  if (id_step_) return Status();
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "change_id_step.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("read the change id step"));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return InternalError("no row from change_id_step.sql");
  ZCRMSYNC_ASSIGN_OR_RETURN(auto increment, stmt.GetInt64(1));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto offset, stmt.GetInt64(2));
  IdStep step;
  step.increment = std::max<int64_t>(1, increment.value_or(1));
  step.offset = std::clamp<int64_t>(offset.value_or(1), 1, step.increment);
  if (step.increment > 1) {
    log::Logger("change_capture")
        .Info("change ids step by auto_increment_increment",
              {{"increment", step.increment}, {"offset", step.offset}});
  }
  id_step_ = step;
  return Status();
}

int64_t ChangeReader::NextId(int64_t after) const {
  const IdStep step = id_step_.value_or(IdStep{});
  // The smallest id above `after` that AUTO_INCREMENT can hand out: offset +
  // k * increment (MySQL's rule).
  if (after < step.offset) return step.offset;
  return step.offset + ((after - step.offset) / step.increment + 1) * step.increment;
}

namespace {

// "reader/gap/<first missing id>": a gap in the MySQL change ids, kept in
// the agent's state so a later process (a `run --once` from cron) goes on
// waiting from when it was first seen instead of starting over.
constexpr char kGapPrefix[] = "reader/gap/";

// Microseconds since 1970 of a UTC timestamp.
int64_t UnixMicros(const Timestamp& t) {
  using namespace std::chrono;
  const sys_days date = year_month_day{year{t.year}, month{static_cast<unsigned>(t.month)},
                                       day{static_cast<unsigned>(t.day)}};
  return duration_cast<microseconds>(date.time_since_epoch()).count() +
         ((t.hour * 60LL + t.minute) * 60LL + t.second) * 1'000'000LL + t.microsecond;
}

}  // namespace

Result<Timestamp> ChangeReader::DbUtcNow() {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "db_clock.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return Error(InternalError("no row from db_clock.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto text, stmt.GetText(1));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  if (!text) return Error(InternalError("db_clock.sql gave NULL"));
  return ParseTimestamp(*text);
}

Status ChangeReader::LoadGaps(int64_t expected) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved, ListStates(connection_, kit_, kGapPrefix));
  for (const auto& [name, value] : saved) {
    int64_t id = 0;
    const std::string digits = name.substr(std::string(kGapPrefix).size());
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    const size_t bar = value.find('|');
    auto utc = ParseTimestamp(value.substr(0, bar));
    if (ec != std::errc() || p != digits.data() + digits.size() || !utc || id < expected) {
      // Filled or passed (or not ours to read): forgotten.
      ZCRMSYNC_RETURN_IF_ERROR(DeleteState(connection_, kit_, name));
      gaps_.erase(id);
      continue;
    }
    if (gaps_.contains(id)) continue;
    GapSeen seen{*utc, std::nullopt};
    if (bar != std::string::npos && bar + 1 < value.size()) {
      if (auto local = ParseTimestamp(value.substr(bar + 1))) seen.local = *local;
    }
    gaps_.emplace(id, seen);
  }
  std::erase_if(gaps_, [&](const auto& gap) { return gap.first < expected; });
  return Status();
}

Status ChangeReader::NoteGap(int64_t first_missing) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Timestamp utc, DbUtcNow());
  GapSeen seen{utc, std::nullopt};
  if (auto p = ProbeOpenTransactions(); p.has_value()) seen.local = p->second;
  gaps_.emplace(first_missing, seen);
  return SaveState(connection_, kit_, kGapPrefix + std::to_string(first_missing),
                   FormatTimestamp(utc) + "|" + (seen.local ? FormatTimestamp(*seen.local) : ""));
}

Status ChangeReader::ForgetGap(int64_t first_missing) {
  gaps_.erase(first_missing);
  return DeleteState(connection_, kit_, kGapPrefix + std::to_string(first_missing));
}

Result<std::pair<std::optional<Timestamp>, std::optional<Timestamp>>>
ChangeReader::ProbeOpenTransactions() {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "oldest_open_transaction.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return Error(InternalError("no row from oldest_open_transaction.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto oldest, stmt.GetTimestamp(1));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto now, stmt.GetTimestamp(2));
  return std::pair{oldest, now};
}

Result<bool> ChangeReader::GapCanBeSkipped(int64_t first_missing) {
  auto it = gaps_.find(first_missing);
  if (it == gaps_.end()) return false;
  const GapSeen seen = it->second;
  ZCRMSYNC_ASSIGN_OR_RETURN(Timestamp now, DbUtcNow());
  const auto waited = UnixMicros(now) - UnixMicros(seen.utc);
  if (seen.local) {
    auto p = ProbeOpenTransactions();
    if (p.has_value()) {
      // trx_started has whole seconds (server local time, as the probe's
      // clock when the gap was first seen): a transaction that started in
      // the same second as the gap was seen may own it.
      const Timestamp& limit = *seen.local;
      const bool open_older =
          p->first.has_value() &&
          FormatTimestamp(*p->first) <= FormatTimestamp(Timestamp{limit.year, limit.month, limit.day,
                                                                  limit.hour, limit.minute,
                                                                  limit.second, 999999});
      // Else one more second so a same-second starter is seen.
      return !open_older && waited >= 1'000'000;
    }
  }
  return waited >= std::chrono::duration_cast<std::chrono::microseconds>(options_.gap_timeout).count();
}

Result<std::map<std::string, int64_t>> ChangeReader::CountAfter(const std::string& cursor) {
  ZCRMSYNC_ASSIGN_OR_RETURN(RowCursor at, SplitCursor(cursor));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "count_changes.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(BindCursor(stmt, kit_.dialect, at.base, std::nullopt));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("count changes"));
  std::map<std::string, int64_t> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
    if (!row) break;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto mapping, stmt.GetText(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto n, stmt.GetInt64(2));
    out[mapping.value_or("")] = n.value_or(0);
  }
  return out;
}

Result<std::set<std::string>> ChangeReader::KeysMovedAfter(const std::string& cursor,
                                                           const std::string& mapping) {
  ZCRMSYNC_ASSIGN_OR_RETURN(RowCursor at, SplitCursor(cursor));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, "select_key_moves.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(
      BindCursor(stmt, kit_.dialect, at.base, std::nullopt, {Value::Text(mapping)}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("read key changes"));
  std::set<std::string> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
    if (!row) break;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto text, stmt.GetText(1));
    auto both = ParseKeys(text.value_or(""));
    if (!both || both->size() != 2) {
      return Error(DataLossError("a key change of mapping " + mapping + " has malformed keys: " +
                                 text.value_or("NULL")));
    }
    out.insert(KeyToJson((*both)[0]));
  }
  return out;
}

Result<int64_t> ChangeReader::Purge(const std::string& cursor, size_t limit,
                                    const std::vector<std::string>& mappings) {
  if (mappings.empty()) return int64_t{0};
  // A row partly handed out is kept whole.
  ZCRMSYNC_ASSIGN_OR_RETURN(RowCursor at, SplitCursor(cursor));
  ZCRMSYNC_ASSIGN_OR_RETURN(
      std::string sql, RenderAgentBatchStatement(kit_, "purge_changes.sql", mappings.size(), 1));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
  std::vector<Value> names;
  for (const std::string& m : mappings) names.push_back(Value::Text(m));
  ZCRMSYNC_RETURN_IF_ERROR(BindCursor(stmt, kit_.dialect, at.base, limit, std::move(names)));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, stmt.Execute());
  return rows;
}

Result<int64_t> ChangeReader::RequeueKept(const std::string& cursor, const std::string& mapping) {
  ZCRMSYNC_ASSIGN_OR_RETURN(RowCursor at, SplitCursor(cursor));
  int64_t moved = 0;
  for (const char* name : {"requeue_kept_changes.sql", "drop_kept_changes.sql"}) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(kit_, name));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
    ZCRMSYNC_RETURN_IF_ERROR(
        BindCursor(stmt, kit_.dialect, at.base, std::nullopt, {Value::Text(mapping)}));
    ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, stmt.Execute());
    if (moved == 0) moved = rows;
  }
  return moved;
}

}  // namespace zcrmsync::change_capture
