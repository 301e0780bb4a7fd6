// Notifier: delivers watch-channel notifications (POST /crm/v8/actions/watch)
// off the request path. A bounded queue feeds one delivery thread that POSTs
// each body to its notify_url with short timeouts. A full queue drops (and
// counts) new notifications and a failed POST is counted and forgotten, so a
// receiver that is slow or down never blocks or stops the emulator.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "emulator/emulator.h"

namespace zcrmsync::emulator {

class Notifier {
 public:
  struct Counts {
    int64_t queued = 0;   // accepted into the queue
    int64_t sent = 0;     // answered 2xx (or handed to the sink)
    int64_t failed = 0;   // no answer, or not 2xx
    int64_t dropped = 0;  // queue full
  };

  // capacity: notifications waiting at most. sink: when set, receives each
  // notification instead of an HTTP POST (called on the delivery thread).
  Notifier(size_t capacity, NotificationSink sink);
  // Stops the delivery thread; notifications still queued are dropped.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Never blocks on delivery. False when the queue is full (counted as dropped).
  bool Enqueue(Notification n);
  Counts counts() const;
  // True once the queue is empty and no delivery is in progress; false if
  // `timeout` passes first. For tests.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  void Run();
  void Deliver(const Notification& n);

  const size_t capacity_;
  const NotificationSink sink_;
  mutable std::mutex mu_;
  std::condition_variable wake_;  // work arrived or stopping
  std::condition_variable idle_;  // queue drained
  std::deque<Notification> queue_;
  bool busy_ = false;  // a delivery is in progress
  bool stop_ = false;
  Counts counts_;
  std::thread thread_;  // started on the first Enqueue
};

}  // namespace zcrmsync::emulator
