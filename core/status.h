// Status: the error value of zcrmsync. Every fallible call returns a Status or a
// Result<T> (core/result.h); exceptions never cross a module boundary.
// Codes keep abseil's canonical meanings; the action each code implies is
// decided in one place, sync/retry_policy.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zcrmsync {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,           // shutdown in progress
  kUnknown = 2,
  kInvalidArgument = 3,     // bad data (a row, a value, a config): dead-letter, never retry
  kDeadlineExceeded = 4,    // timed out: retry with backoff
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,   // rate limit / quota: wait, then retry
  kFailedPrecondition = 9,  // the world is not as configured (missing table, syntax): permanent
  kAborted = 10,            // deadlock, serialization failure, lock timeout: retry the transaction
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,        // connection lost or refused: back off, reconnect, retry
  kDataLoss = 15,
  kUnauthenticated = 16,    // bad or expired credentials
};

// "OK", "INVALID_ARGUMENT", ... as abseil spells them.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Payloads keep machine-readable facts from the boundary where the error was
  // translated, e.g. {"sqlstate", "23505"} or {"http_status", "429"}.
  Status& SetPayload(std::string key, std::string value);
  std::optional<std::string> GetPayload(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& payloads() const { return payloads_; }

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // "INVALID_ARGUMENT: message".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<std::pair<std::string, std::string>> payloads_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);
std::ostream& operator<<(std::ostream& os, StatusCode code);

// Factories, one per code in use.
Status CancelledError(std::string message);
Status UnknownError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnauthenticatedError(std::string message);

}  // namespace zcrmsync
