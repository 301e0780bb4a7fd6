// Lease: active/passive failover between agents on one database. The lease is
// the row `lease` of the agent's state table (value = holder id, updated_at =
// the last renewal by the DATABASE server's clock), taken and renewed by one
// atomic statement (sql/<dialect>/acquire_lease.sql) and given up by
// release_lease.sql. Only the holder syncs; the others stand by and retry.
//
// No split brain: the holder counts its lease as valid only until
// `duration - margin` after the moment it SENT its last successful renewal
// (its own monotonic clock), which is never later than the database's expiry.
// Callers ask Valid() before each write batch and stop when it turns false.
// Not thread-safe; uses the connection it is given (no open transaction on it
// when called).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "change_capture/sql_kit.h"
#include "core/clock.h"
#include "core/result.h"
#include "odbc/connection.h"

namespace zcrmsync::sync {

struct LeaseOptions {
  std::string name = "lease";         // the state row
  std::chrono::seconds duration{30};  // >= 3
  std::string holder;                 // empty: MakeHolderId()
};

// "hostname:pid:random" (random: 8 hex digits), unique per process start.
std::string MakeHolderId();

class Lease {
 public:
  // REQUIRES: the agent schema is installed; `db` and `clock` outlive the lease.
  Lease(odbc::Connection& db, change_capture::KitOptions kit, LeaseOptions options,
        Clock& clock = SystemClock());

  // Takes the lease when it is free, expired by the database's clock, or
  // already ours (then it is renewed). Returns true when we hold it now.
  // Errors: the database's (the lease then stays valid only until its local
  // deadline; see Valid()).
  Result<bool> Acquire();

  // Acquire() at most once per `min_interval` while valid; when the lease is
  // not valid it always asks the database. Returns Valid() afterwards; a
  // database error is logged by the caller and leaves Valid() to the deadline.
  Result<bool> Renew(std::chrono::milliseconds min_interval = std::chrono::seconds(1));

  // True while we hold the lease and its local deadline has not passed.
  bool Valid();

  // Deletes the row if it is still ours. Valid() is false afterwards.
  Status Release();

  // Our holder id, and the holder the database reported at the last attempt
  // (ours, another agent's, or empty when the lease was free / never read).
  const std::string& holder_id() const { return options_.holder; }
  const std::string& last_seen_holder() const { return seen_holder_; }
  std::chrono::seconds duration() const { return options_.duration; }

 private:
  // How long before the database would let another agent in we stop.
  std::chrono::steady_clock::duration Margin() const;

  odbc::Connection* db_;
  change_capture::KitOptions kit_;
  LeaseOptions options_;
  Clock& clock_;
  bool held_ = false;
  std::chrono::steady_clock::time_point deadline_{};      // valid until (local)
  std::chrono::steady_clock::time_point last_attempt_{};  // last Acquire() sent
  std::string seen_holder_;
};

}  // namespace zcrmsync::sync
