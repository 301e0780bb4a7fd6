// Retry decisions: the one place that turns a failed call's StatusCode (plus an
// optional Retry-After hint and the attempt count) into "retry after this
// delay", "refresh credentials, then retry" or "give up". Pure functions: no
// clock, no sleeping; callers wait through Clock::SleepFor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/clock.h"
#include "core/status.h"

namespace zcrmsync::retry {

struct Policy {
  // Attempts in total, the first one included. 1 means never retry.
  int max_attempts = 6;
  // Backoff before retry n (n = 1, 2, ...) is uniform in
  // [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter").
  Clock::Duration initial_backoff = std::chrono::milliseconds(500);
  Clock::Duration max_backoff = std::chrono::seconds(60);
  // A Retry-After hint longer than this is clamped to it.
  Clock::Duration max_retry_after = std::chrono::minutes(15);
  // How many credential refreshes one call may trigger (kUnauthenticated).
  int max_auth_refreshes = 1;
};

enum class Action {
  kGiveUp,        // permanent error, or out of attempts
  kRetry,         // wait `delay`, then send again
  kRefreshAuth,   // refresh the access token, then send again at once
};

struct Decision {
  Action action = Action::kGiveUp;
  Clock::Duration delay{0};
  bool retry() const { return action != Action::kGiveUp; }
};

// Returns a uniformly distributed double in [0, 1). Must be thread-safe if
// shared between threads.
using RandomSource = std::function<double()>;

// A thread-safe source backed by a per-thread std::mt19937_64.
RandomSource DefaultRandom();

// True for the codes that may succeed when sent again unchanged:
// kUnavailable, kDeadlineExceeded, kAborted, kResourceExhausted.
bool IsTransient(StatusCode code);

// Full-jitter backoff before retry number `retry` (1 for the first retry).
// REQUIRES: retry >= 1; random() in [0, 1).
Clock::Duration Backoff(const Policy& policy, int retry, const RandomSource& random);

struct Attempt {
  StatusCode code = StatusCode::kOk;    // why the attempt failed
  int attempts_made = 1;                // attempts so far, this one included
  int auth_refreshes = 0;               // refreshes this call already triggered
  std::optional<Clock::Duration> retry_after;  // server hint (429), if any
};

// The decision for one failed attempt:
//   kUnavailable, kDeadlineExceeded, kAborted -> kRetry after Backoff();
//   kResourceExhausted -> kRetry after Retry-After (clamped) or Backoff();
//   kUnauthenticated -> kRefreshAuth while auth_refreshes < max_auth_refreshes;
//   everything else (kInvalidArgument, kFailedPrecondition, kPermissionDenied,
//   kNotFound, kAlreadyExists, kCancelled, ...) -> kGiveUp.
// Also kGiveUp once attempts_made >= max_attempts.
Decision Decide(const Policy& policy, const Attempt& attempt, const RandomSource& random);

}  // namespace zcrmsync::retry
