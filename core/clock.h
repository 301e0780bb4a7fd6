// Clock: the one source of "now" and of waiting. Code that sleeps or reads the
// time takes a Clock&, so tests can use a fake clock (tests/support) and never
// wait for real.
#pragma once

#include <chrono>
#include <string>

namespace zcrmsync {

class Clock {
 public:
  using Duration = std::chrono::microseconds;
  using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

  virtual ~Clock() = default;

  // Wall-clock time in UTC, microsecond precision. Thread-safe.
  virtual TimePoint Now() = 0;

  // Monotonic time, for measuring intervals. Thread-safe.
  virtual std::chrono::steady_clock::time_point SteadyNow() = 0;

  // Blocks the calling thread for `duration` (a fake clock just advances).
  virtual void SleepFor(Duration duration) = 0;
};

// The process-wide real clock. Never null; lives for the whole program.
Clock& SystemClock();

// "2026-11-30T09:40:01.123456Z".
std::string FormatUtc(Clock::TimePoint time);

}  // namespace zcrmsync
