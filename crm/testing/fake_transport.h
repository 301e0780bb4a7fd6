// FakeTransport: a scripted HttpTransport for unit tests. A handler answers
// each request; every request is recorded. SendAll runs the batch on worker
// threads, at most max_in_flight at once, so tests can observe concurrency.
// Thread-safe. Test-only (not part of the zcrmsync::crm library).
#pragma once

#include <algorithm>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "crm/http_transport.h"

namespace zcrmsync::crm::testing {

class FakeTransport final : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  explicit FakeTransport(Handler handler = nullptr) : handler_(std::move(handler)) {}

  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

  // With a clock, each response carries sent_at (read before the handler
  // runs) and received_at (after), as a real transport stamps them; a
  // handler that advances the clock makes a slow call. Without: unstamped.
  void set_clock(Clock* clock) {
    std::lock_guard<std::mutex> lock(mu_);
    clock_ = clock;
  }

  using HttpTransport::SendAll;
  std::vector<Result<HttpResponse>> SendAll(std::vector<HttpRequest> requests, int max_in_flight,
                                            const Prepare& prepare) override {
    const size_t n = requests.size();
    const size_t window = max_in_flight <= 0 ? n : static_cast<size_t>(max_in_flight);
    Handler handler;
    Clock* clock = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      handler = handler_;
      clock = clock_;
      ++send_all_calls_;
      max_window_ = std::max(max_window_, std::min(window, n));
    }
    std::vector<Result<HttpResponse>> results(n, Error(InternalError("not run")));
    size_t next = 0;
    std::mutex next_mu;
    auto worker = [&] {
      while (true) {
        size_t i;
        {
          std::lock_guard<std::mutex> lock(next_mu);
          if (next >= n) return;
          i = next++;
        }
        Status allowed = prepare ? prepare(i, requests[i]) : Status::Ok();
        if (allowed.ok()) allowed = CheckUrlAllowed(requests[i].url);
        if (!allowed.ok()) {
          results[i] = Error(allowed);
          continue;
        }
        Enter();
        const auto sent = clock != nullptr ? std::optional(clock->Now()) : std::nullopt;
        results[i] = handler(requests[i]);
        if (clock != nullptr && results[i].has_value()) {
          results[i]->sent_at = sent;
          results[i]->received_at = clock->Now();
        }
        Leave();
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(requests[i]);
      }
    };
    std::vector<std::thread> threads;
    for (size_t t = 0; t < std::min(window, n); ++t) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
    return results;
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Requests whose URL contains `needle`.
  std::vector<HttpRequest> RequestsTo(std::string_view needle) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<HttpRequest> out;
    for (const HttpRequest& r : requests_) {
      if (r.url.find(needle) != std::string::npos) out.push_back(r);
    }
    return out;
  }
  int max_in_flight_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_seen_;
  }

 private:
  void Enter() {
    std::lock_guard<std::mutex> lock(mu_);
    max_in_flight_seen_ = std::max(max_in_flight_seen_, ++in_flight_);
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }

  std::mutex mu_;
  Handler handler_;
  Clock* clock_ = nullptr;
  std::vector<HttpRequest> requests_;
  int send_all_calls_ = 0;
  size_t max_window_ = 0;
  int in_flight_ = 0;
  int max_in_flight_seen_ = 0;
};

// A response with a JSON body.
inline HttpResponse JsonReply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

}  // namespace zcrmsync::crm::testing
