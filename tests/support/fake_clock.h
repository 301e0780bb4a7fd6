// FakeClock: a Clock whose time moves only when told (or when code under test
// sleeps), so backoff and timeouts run instantly in unit tests. Thread-safe.
#pragma once

#include <mutex>

#include "core/clock.h"

namespace zcrmsync::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'767'225'600)))
      : now_(start) {}

  TimePoint Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  std::chrono::steady_clock::time_point SteadyNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  void SleepFor(Duration d) override { Advance(d); }

  void Advance(Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
    slept_ += d;
  }
  Duration total_slept() {
    std::lock_guard<std::mutex> lock(mu_);
    return slept_;
  }

 private:
  std::mutex mu_;
  TimePoint now_;
  Duration slept_{0};
};

}  // namespace zcrmsync::testing
