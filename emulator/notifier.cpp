#include "emulator/notifier.h"

#include <utility>

#include <httplib.h>

namespace zcrmsync::emulator {

Notifier::Notifier(size_t capacity, NotificationSink sink)
    : capacity_(capacity), sink_(std::move(sink)) {}

Notifier::~Notifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Notifier::Enqueue(Notification n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= capacity_) {
      ++counts_.dropped;
      return false;
    }
    queue_.push_back(std::move(n));
    ++counts_.queued;
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  wake_.notify_one();
  return true;
}

Notifier::Counts Notifier::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

bool Notifier::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void Notifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Notification n = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Deliver(n);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void Notifier::Deliver(const Notification& n) {
  bool ok = false;
  if (sink_) {
    sink_(n);
    ok = true;
  } else {
    // "http://host:port" + "/path?query"; httplib's client parses the first part.
    const size_t scheme_end = n.url.find("://");
    const size_t path_start =
        scheme_end == std::string::npos ? std::string::npos : n.url.find('/', scheme_end + 3);
    const std::string origin = n.url.substr(0, path_start);
    const std::string target = path_start == std::string::npos ? "/" : n.url.substr(path_start);
    try {
      httplib::Client client(origin);
      client.set_connection_timeout(1);
      client.set_read_timeout(2);
      client.set_write_timeout(2);
      auto res = client.Post(target, n.body, "application/json");
      ok = res && res->status >= 200 && res->status < 300;
    } catch (const std::exception&) {
      ok = false;  // a malformed URL must not end the delivery thread
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? counts_.sent : counts_.failed);
}

}  // namespace zcrmsync::emulator
