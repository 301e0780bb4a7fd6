#include "core/retry.h"

#include <algorithm>
#include <random>

namespace zcrmsync::retry {

RandomSource DefaultRandom() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

bool IsTransient(StatusCode code) {
  switch (code) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kAborted:
    case StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

Clock::Duration Backoff(const Policy& policy, int retry, const RandomSource& random) {
  using Rep = Clock::Duration::rep;
  const Rep cap = std::max<Rep>(0, policy.max_backoff.count());
  Rep ceiling = std::max<Rep>(0, policy.initial_backoff.count());
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;  // no overflow: stops at cap
  ceiling = std::min(ceiling, cap);
  double r = random ? random() : 0.5;
  r = std::clamp(r, 0.0, 1.0);
  return Clock::Duration(static_cast<Rep>(static_cast<double>(ceiling) * r));
}

Decision Decide(const Policy& policy, const Attempt& attempt, const RandomSource& random) {
  Decision give_up;
  if (attempt.attempts_made >= policy.max_attempts) return give_up;
  switch (attempt.code) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kAborted:
      return {Action::kRetry, Backoff(policy, attempt.attempts_made, random)};
    case StatusCode::kResourceExhausted:
      if (attempt.retry_after.has_value() && attempt.retry_after->count() >= 0) {
        return {Action::kRetry, std::min(*attempt.retry_after, policy.max_retry_after)};
      }
      return {Action::kRetry, Backoff(policy, attempt.attempts_made, random)};
    case StatusCode::kUnauthenticated:
      if (attempt.auth_refreshes < policy.max_auth_refreshes) {
        return {Action::kRefreshAuth, Clock::Duration(0)};
      }
      return give_up;
    default:
      return give_up;
  }
}

}  // namespace zcrmsync::retry
