// ChangeReader: reads the change table in commit order, so a change is never
// skipped even when transactions commit out of id order, and purges what has
// been processed in bounded batches.
//   PostgreSQL: by (txid, change_id), only below the snapshot's xmin.
//   MySQL/MariaDB: by change_id, stopping at a gap until it fills, or until no
//     transaction that was open when the gap appeared is still open (or, when
//     that cannot be seen, until gap_timeout).
//   SQLite: by change_id (one writer at a time).
//   SQL Server: by rowversion below MIN_ACTIVE_ROWVERSION() (not executed here).
// Cursors are opaque text; "" means "from the start". Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/value.h"
#include "odbc/connection.h"

namespace zcrmsync::change_capture {

// One captured change of one row. A change row may hold many keys (one
// statement on PostgreSQL); they share change_id, and the cursor after the
// last of them is the row's.
struct Change {
  int64_t change_id = 0;
  std::string mapping;
  std::string key_json;  // the key as a compact JSON array of text, e.g. ["42","A"]
  std::vector<std::string> key;  // the same, decoded: one string per key column
  char op = 'U';         // 'I', 'U', 'D', or 'K': the key of one row changed
  // For 'K': the key before the change (key is the key after it).
  std::vector<std::string> old_key;
  std::string old_key_json;
  Timestamp changed_at;  // UTC
  std::string cursor;    // the cursor that lies just after this change
};

struct ReaderOptions {
  // MySQL only: how long a gap in the change ids may hold the reader back
  // when open transactions cannot be listed (no PROCESS privilege).
  std::chrono::milliseconds gap_timeout{std::chrono::seconds(60)};
  // Tests only: called after the change rows are read, before Next() hands
  // them out (a test commits a transaction there).
  std::function<void()> on_rows_read;
};

class ChangeReader {
 public:
  // REQUIRES: `connection` outlives the reader and is used by one thread.
  ChangeReader(odbc::Connection& connection, KitOptions kit, ReaderOptions options = {},
               Clock& clock = SystemClock());

  // Up to `limit` changes (keys) after `cursor`, in commit order. A change
  // row holding more keys (a PostgreSQL statement, a queued chunk of the
  // initial load) is handed out in parts: the cursor of a key inside it
  // names the row and how many of its keys are done. An empty result means
  // nothing is safe to hand out yet. INVALID_ARGUMENT for a cursor of the
  // wrong form; DATA_LOSS for a change row whose keys cannot be read.
  Result<std::vector<Change>> Next(const std::string& cursor, size_t limit);

  // The keys waiting after `cursor`, per mapping (committed or not); a row
  // partly handed out counts whole.
  Result<std::map<std::string, int64_t>> CountAfter(const std::string& cursor);

  // The old keys (as key_json) of `mapping`'s key changes (K) after
  // `cursor`, committed, whether or not Next() would hand them out yet (a
  // MySQL gap, a PostgreSQL transaction still running below them).
  Result<std::set<std::string>> KeysMovedAfter(const std::string& cursor,
                                               const std::string& mapping);

  // Deletes up to `limit` change rows of `mappings` at or before `cursor` (a
  // row partly handed out is kept); returns how many. Rows of other
  // mappings (removed from the config) are kept.
  Result<int64_t> Purge(const std::string& cursor, size_t limit,
                        const std::vector<std::string>& mappings);

  // Moves the change rows of `mapping` at or before `cursor` (kept while the
  // mapping was not in the config) after it, in order, with their ops and
  // times; returns how many. REQUIRES: a transaction, so none is lost.
  Result<int64_t> RequeueKept(const std::string& cursor, const std::string& mapping);

 private:
  // MySQL: the gap before `first_missing` may be stepped over (its
  // transactions are gone); false for a gap not noted yet.
  Result<bool> GapCanBeSkipped(int64_t first_missing);
  // A gap first seen now, kept in the agent's state too (a later process
  // goes on waiting from when it was first seen); forgotten once passed.
  Status NoteGap(int64_t first_missing);
  Status ForgetGap(int64_t first_missing);
  // The gaps kept in the agent's state; those before `expected` forgotten.
  Status LoadGaps(int64_t expected);
  // The server's clock, UTC.
  Result<Timestamp> DbUtcNow();
  // The oldest open transaction's start and the server's time now.
  Result<std::pair<std::optional<Timestamp>, std::optional<Timestamp>>> ProbeOpenTransactions();
  // MySQL: change ids are offset + k * increment (auto_increment_*).
  Status LoadIdStep();
  int64_t NextId(int64_t after) const;

  odbc::Connection& connection_;
  KitOptions kit_;
  ReaderOptions options_;
  Clock& clock_;
  struct GapSeen {
    Timestamp utc;                   // the server's clock (UTC) when first seen
    std::optional<Timestamp> local;  // the same in the probe's (local) time
  };
  std::map<int64_t, GapSeen> gaps_;  // first missing id -> when first seen
  struct IdStep {
    int64_t increment = 1;
    int64_t offset = 1;
  };
  std::optional<IdStep> id_step_;
};

// Decodes keys_json, a JSON array of keys, each an array of strings or, for
// a one-column key, the bare string: [["1","a"],["2","b"]] -> {{"1","a"},
// {"2","b"}}; ["1","2"] -> {{"1"}, {"2"}}. INVALID_ARGUMENT on anything else.
Result<std::vector<std::vector<std::string>>> ParseKeys(std::string_view keys_json);

// Keys [first, first + max) of keys_json, the ones before stepped over
// without decoding; `more` when keys follow the slice.
struct KeySlice {
  std::vector<std::vector<std::string>> keys;
  bool more = false;
};
Result<KeySlice> ParseKeySlice(std::string_view keys_json, size_t first, size_t max);

// A key as compact JSON: {"1","A"} -> ["1","A"].
std::string KeyToJson(const std::vector<std::string>& key);

}  // namespace zcrmsync::change_capture
