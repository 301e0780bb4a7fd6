// ZohoClient: typed Zoho CRM v8 operations over an HttpTransport. Writes go
// in batches of at most 100 records, sent concurrently, with per-record
// results in input order. Failed calls are classified once (crm/http_errors.h)
// and retried per core/retry.h, waiting through the Clock. At most
// max_concurrency calls are in flight at any time, across all threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/retry.h"
#include "crm/http_transport.h"
#include "crm/json.h"
#include "crm/zoho_auth.h"

namespace zcrmsync::crm {

struct ClientOptions {
  // Calls in flight at once (Zoho: 10 on Standard, 5 for COQL/search is wise).
  int max_concurrency = 10;
  // Records per write call, 1..100 (Zoho's maximum is 100).
  int batch_size = 100;
  // Total time per HTTP call (connect and timeouts of the transport aside).
  std::chrono::milliseconds request_timeout{60'000};
  retry::Policy retry;
  retry::RandomSource random;  // empty: retry::DefaultRandom()
  // An insert (POST) whose outcome is unknown (5xx, timeout, dropped
  // connection after sending) may have created the record; by default it is
  // not re-sent (use Upsert on a unique ERP key for safe retries).
  bool retry_ambiguous_inserts = false;
};

// The outcome for one input record (or id), in input order.
struct RecordResult {
  Status status;              // OK, or the per-record / per-call error
  std::string id;             // the Zoho record id (writes and deletes)
  std::string action;         // Upsert: "insert" or "update"; else as Zoho says
  std::string modified_time;  // details.Modified_Time, when given
  // The whole call failed (after retries): `status` is the call's error,
  // not this record's (a revoked token, a missing scope, an outage).
  bool call_failed = false;
};

struct DeletedRecord {
  std::string id;
  std::string display_name;
  std::string type;          // "recycle" or "permanent"
  std::string deleted_time;  // as Zoho renders it
};

struct FieldInfo {
  std::string api_name;
  std::string data_type;  // text, picklist, lookup, ...
  std::string json_type;  // string, integer, jsonobject, ...
  int64_t length = 0;
  bool read_only = false;
  bool system_mandatory = false;
  bool custom_field = false;
  bool unique = false;
  std::string lookup_module;  // lookups: the module the field points at
};

struct CoqlResult {
  std::vector<Record> rows;
  bool more_records = false;
};

// Where a scan of modified records starts or resumes (ZohoClient::
// ScanModified): the records modified at `time` or later (whole seconds, as
// Zoho keeps them; nullopt: from the oldest), and within `time`'s second
// only those whose id is above `after_id` (numerically) when it is not empty.
struct ListPosition {
  std::optional<Clock::TimePoint> time;
  std::string after_id;

  bool operator==(const ListPosition&) const = default;
};

// One page of a scan and the position after it: a scan started again from
// `next` delivers every record not delivered yet, and of those delivered
// only records of `next.time`'s second (none when `after_id` is set).
struct ListPage {
  std::vector<Record> records;
  ListPosition next;
};

struct ClientStats {
  int64_t calls = 0;    // HTTP calls sent to the API (token calls excluded)
  int64_t retries = 0;  // of which re-sent after a failure
  int64_t credits = 0;  // API credits spent (Zoho's documented costs)
};

// Options every write call may carry.
struct WriteOptions {
  // Zoho's `trigger` array: which automations the write sets off
  // ("workflow", "approval", "blueprint", ...). Unset: Zoho runs them all;
  // empty: none.
  std::optional<std::vector<std::string>> trigger;
};

// A write split in three, so the work around its calls can run on other
// threads than the calls themselves: ZohoClient::PrepareUpsert/PrepareUpdate
// build the request bodies, Send makes the calls, Finish reads the replies.
// Upsert() and Update() are the three in a row. Move-only.
class PreparedWrite {
 public:
  PreparedWrite(PreparedWrite&&) noexcept;
  PreparedWrite& operator=(PreparedWrite&&) noexcept;
  ~PreparedWrite();
  size_t size() const;  // the records it carries

 private:
  friend class ZohoClient;
  struct State;
  explicit PreparedWrite(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class ZohoClient {
 public:
  // `auth`, `transport` and `clock` must outlive the client.
  ZohoClient(ClientOptions options, ZohoAuth& auth, HttpTransport& transport, Clock& clock);

  // Writes. The Result fails only for bad arguments (INVALID_ARGUMENT: module
  // name, empty fields list, ...). Otherwise one RecordResult per input, in
  // input order; a call that failed for good (after retries) gives its error
  // to every record it carried. Per-record errors: INVALID_ARGUMENT with
  // payload "field" (INVALID_DATA, MANDATORY_NOT_FOUND, DUPLICATE_DATA with
  // "duplicate_id"), ABORTED for ALREADY_MODIFIED (payload "modified_time").
  // Thread-safe.
  Result<std::vector<RecordResult>> Insert(std::string_view module,
                                           const std::vector<Record>& records,
                                           const WriteOptions& write = {});
  // Each record carries its "id". With `if_unmodified_since`, Zoho refuses
  // (ABORTED) records modified after that time.
  Result<std::vector<RecordResult>> Update(
      std::string_view module, const std::vector<Record>& records,
      std::optional<Clock::TimePoint> if_unmodified_since = std::nullopt,
      const WriteOptions& write = {});
  // The same, each record with its own If-Unmodified-Since (one per record,
  // or empty for none). Zoho takes one per call, in whole seconds, so the
  // records are sent in calls with the others of the same second: none is
  // refused for another's time, and a record changed since its own time is
  // always refused (ABORTED).
  Result<std::vector<RecordResult>> Update(
      std::string_view module, const std::vector<Record>& records,
      const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
      const WriteOptions& write = {});
  // Inserts or updates, matching on `duplicate_check_fields` in order
  // (use a unique ERP key field). Safe to retry.
  Result<std::vector<RecordResult>> Upsert(std::string_view module,
                                           const std::vector<Record>& records,
                                           const std::vector<std::string>& duplicate_check_fields,
                                           const WriteOptions& write = {});
  // The same writes in three steps (see PreparedWrite). Prepare fails as the
  // writes above do for bad arguments; Send is thread-safe and never fails
  // (a call's error goes to its records); Finish gives what Update/Upsert
  // would have.
  Result<PreparedWrite> PrepareUpdate(std::string_view module, std::vector<Record> records,
                                      std::optional<Clock::TimePoint> if_unmodified_since,
                                      const WriteOptions& write = {});
  Result<PreparedWrite> PrepareUpdate(
      std::string_view module, std::vector<Record> records,
      const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
      const WriteOptions& write = {});
  Result<PreparedWrite> PrepareUpsert(std::string_view module, std::vector<Record> records,
                                      const std::vector<std::string>& duplicate_check_fields,
                                      const WriteOptions& write = {});
  void Send(PreparedWrite& write);
  std::vector<RecordResult> Finish(PreparedWrite write);

  // Deletes by id. An id Zoho does not know (INVALID_DATA: already deleted or
  // never existed) gives NOT_FOUND for that id, which callers may treat as
  // done.
  Result<std::vector<RecordResult>> Delete(std::string_view module,
                                           const std::vector<std::string>& ids);

  // Reads `fields` (1..50 api names) of the records with these ids; unknown
  // ids are simply absent. Order as Zoho returns them.
  Result<std::vector<Record>> GetByIds(std::string_view module, const std::vector<std::string>& ids,
                                       const std::vector<std::string>& fields);

  // Every record modified at or after `from`, oldest first, a page (at most
  // 200 records) at a time, paged by key: each page is a new list call with
  // If-Modified-Since one second before the last Modified_Time delivered
  // (records of that second delivered already are dropped by id, so a record
  // comes again only with a new Modified_Time), and a second holding more
  // records than a page is read with COQL ordered by id ("where
  // Modified_Time = T and id > X"). So a record edited during the scan moves
  // to the end and is delivered there, nothing is skipped when pages shift,
  // and Zoho's paging limits (2,000 records by page number, 100,000 by
  // page_token) never apply. `fields` gets Modified_Time when it lacks it.
  // `on_page` receives each page with the position after it; an error it
  // returns stops the scan and is returned. Errors: the calls' classified
  // errors; INTERNAL for a record without a readable Modified_Time.
  Status ScanModified(std::string_view module, std::vector<std::string> fields,
                      const ListPosition& from, const std::function<Status(ListPage&&)>& on_page);
  // The records modified after `since` (all when nullopt): ScanModified's
  // pages gathered.
  Result<std::vector<Record>> ListModifiedSince(std::string_view module,
                                                const std::vector<std::string>& fields,
                                                std::optional<Clock::TimePoint> since);

  // One COQL query ("select ... from M where ... limit N offset K").
  Result<CoqlResult> Coql(std::string_view select_query);

  // Records deleted after `since` (all when nullopt), every page.
  Result<std::vector<DeletedRecord>> DeletedSince(std::string_view module,
                                                  std::optional<Clock::TimePoint> since);

  // Field metadata of a module.
  Result<std::vector<FieldInfo>> Fields(std::string_view module);

  // How many records the module holds (GET /{module}/actions/count, 1
  // credit). Errors: the call's classified error; INTERNAL without a count.
  Result<int64_t> Count(std::string_view module);

  ClientStats stats() const;

  // Zoho's clock minus ours, from a response's Date header (whole seconds,
  // so centred on the half second) against the middle of the window in which
  // the server produced it (HttpResponse::sent_at / received_at, else the
  // call's start and the end of its round). Of each round of calls the
  // response with the narrowest window counts (the error is at most half of
  // it plus half a second); it replaces the kept sample when its window is no
  // wider, or the kept one is over 10 minutes old. nullopt before any.
  std::optional<Clock::Duration> ClockOffset() const;

 private:
  struct Call;
  friend struct PreparedWrite::State;  // holds the calls
  enum class WriteKind { kInsert, kUpdate, kUpsert };

  // `unmodified_since`: one time per record (updates), or empty.
  Result<PreparedWrite> Prepare(WriteKind kind, std::string_view module, std::vector<Record> records,
                                const std::vector<std::string>& duplicate_check_fields,
                                const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
                                const WriteOptions& write);
  Result<std::vector<RecordResult>> Write(
      WriteKind kind, std::string_view module, std::vector<Record> records,
      const std::vector<std::string>& duplicate_check_fields,
      const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
      const WriteOptions& write);
  // Sends every call, retrying per options_.retry; fills each call's outcome.
  void Execute(std::vector<Call>& calls);
  Result<HttpResponse> ExecuteOne(Call call);
  // ScanModified's pages of one second (at.time) by id, above at.after_id
  // (all when empty), skipping the ids in `seen`.
  Status ScanSecond(std::string_view module, const std::vector<std::string>& fields,
                    const ListPosition& at, const std::set<std::string>& seen,
                    const std::function<Status(ListPage&&)>& on_page);
  void NoteServerClock(const std::vector<Result<HttpResponse>>& results,
                       const std::vector<Clock::TimePoint>& started, Clock::TimePoint round_end);
  int AcquireSlots(int wanted);
  void ReleaseSlots(int count);
  Status Redact(Status status);

  ClientOptions options_;
  ZohoAuth& auth_;
  HttpTransport& transport_;
  Clock& clock_;
  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int free_slots_;  // guarded by slots_mu_
  std::atomic<int64_t> calls_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> credits_{0};
  struct ClockSample {
    Clock::Duration offset;
    Clock::Duration window;  // received - sent: the sample's uncertainty
    Clock::TimePoint taken_at;
  };
  mutable std::mutex clock_mu_;
  std::optional<ClockSample> clock_sample_;  // guarded by clock_mu_
};

// Zoho's date-time for headers and COQL: "2026-11-30T09:40:01+00:00" (UTC,
// whole seconds).
std::string FormatZohoTime(Clock::TimePoint time);
// Zoho's date-time as Zoho renders it ("2026-11-30T15:10:01+05:30", or with
// "Z") -> the UTC instant; nullopt when malformed.
std::optional<Clock::TimePoint> ParseZohoTime(std::string_view text);

}  // namespace zcrmsync::crm
