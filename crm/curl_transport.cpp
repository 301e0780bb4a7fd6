#include "crm/curl_transport.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>

#include <curl/curl.h>

#include "crm/http_errors.h"

namespace zcrmsync::crm {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "POST https://host/path", without the query string (it may carry ids or
// filters; secrets never travel in the query, but keep messages short).
std::string Describe(const HttpRequest& r) {
  return r.method + " " + r.url.substr(0, r.url.find('?'));
}

using WallTime = Clock::TimePoint;

// The system clock, as SystemClock() reads it (the client compares the two).
WallTime WallNow() {
  return std::chrono::time_point_cast<Clock::Duration>(std::chrono::system_clock::now());
}

struct Transfer {
  size_t index = 0;
  const HttpRequest* request = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  WallTime added_at;  // handed to the multi handle; curl starts it later
  char error[CURL_ERROR_SIZE] = {0};
};

// The window in which the server produced the response (HttpResponse's
// sent_at / received_at): curl's timings count from the transfer's start,
// which is no earlier than added_at, and the first byte came (total -
// starttransfer) before the end, which is no later than finished_at. Both
// bounds are therefore safe, whatever the multi loop's delays.
void StampTimes(CURL* e, WallTime added_at, WallTime finished_at, HttpResponse& response) {
  curl_off_t pretransfer = 0, starttransfer = 0, total = 0;
  if (curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK ||
      curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &starttransfer) != CURLE_OK ||
      curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total) != CURLE_OK) {
    response.sent_at = added_at;
    response.received_at = finished_at;
    return;
  }
  response.sent_at = added_at + std::chrono::microseconds(pretransfer);
  response.received_at = std::max(
      *response.sent_at,
      finished_at - std::chrono::microseconds(std::max<curl_off_t>(total - starttransfer, 0)));
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->response.body.append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after 100 Continue, proxy CONNECT)
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  t->response.headers.emplace_back(std::string(name), std::string(value));
  return size * count;
}

}  // namespace

struct CurlTransport::Multi {
  CURLM* handle = nullptr;
  std::vector<CURL*> idle;
  Multi() : handle(curl_multi_init()) {}
  ~Multi() {
    for (CURL* e : idle) curl_easy_cleanup(e);
    if (handle != nullptr) curl_multi_cleanup(handle);
  }
  CURL* TakeEasy() {
    if (idle.empty()) return curl_easy_init();
    CURL* e = idle.back();
    idle.pop_back();
    curl_easy_reset(e);
    return e;
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  GlobalInit();
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Multi> CurlTransport::AcquireMulti() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_multis_.empty()) {
      std::unique_ptr<Multi> m = std::move(idle_multis_.back());
      idle_multis_.pop_back();
      return m;
    }
  }
  auto m = std::make_unique<Multi>();
  if (m->handle != nullptr) {
    curl_multi_setopt(m->handle, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(std::max(1, options_.max_idle_connections)));
  }
  return m;
}

void CurlTransport::ReleaseMulti(std::unique_ptr<Multi> multi) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_multis_.push_back(std::move(multi));
}

std::vector<Result<HttpResponse>> CurlTransport::SendAll(std::vector<HttpRequest> requests,
                                                         int max_in_flight,
                                                         const Prepare& prepare) {
  const size_t n = requests.size();
  std::vector<Result<HttpResponse>> results(
      n, Result<HttpResponse>(Error(InternalError("request not run"))));
  std::deque<size_t> todo;
  for (size_t i = 0; i < n; ++i) todo.push_back(i);
  if (todo.empty()) return results;
  std::unique_ptr<Multi> multi = AcquireMulti();
  if (multi->handle == nullptr) {
    for (size_t i : todo) results[i] = Error(InternalError("curl_multi_init failed"));
    return results;
  }
  const size_t window = max_in_flight <= 0 ? n : static_cast<size_t>(max_in_flight);
  std::vector<std::unique_ptr<Transfer>> active;

  auto start = [&](size_t index) -> bool {
    if (prepare) {
      Status prepared = prepare(index, requests[index]);
      if (!prepared.ok()) {
        results[index] = Error(std::move(prepared));
        return false;
      }
    }
    Status allowed = CheckUrlAllowed(requests[index].url);
    if (!allowed.ok()) {
      Status s = allowed.WithContext(Describe(requests[index]));
      s.SetPayload("not_sent", "1");
      results[index] = Error(std::move(s));
      return false;
    }
    auto t = std::make_unique<Transfer>();
    t->index = index;
    t->request = &requests[index];
    const HttpRequest& r = *t->request;
    CURL* e = multi->TakeEasy();
    if (e == nullptr) {
      results[index] = Error(InternalError("curl_easy_init failed"));
      return false;
    }
    t->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    const auto total = r.timeout.count() > 0 ? r.timeout : options_.default_timeout;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    // An explicit "" turns off proxies from the environment.
    curl_easy_setopt(e, CURLOPT_PROXY, options_.proxy.c_str());
    if (!options_.no_proxy.empty()) curl_easy_setopt(e, CURLOPT_NOPROXY, options_.no_proxy.c_str());
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    for (const auto& [k, v] : r.headers) {
      std::string line = k + ": " + v;
      t->headers = curl_slist_append(t->headers, line.c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      if (r.method == "POST" || !r.body.empty()) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
      }
      if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    CURLMcode mc = curl_multi_add_handle(multi->handle, e);
    if (mc != CURLM_OK) {
      results[index] = Error(InternalError(std::string("curl_multi_add_handle: ") +
                                           curl_multi_strerror(mc)));
      curl_slist_free_all(t->headers);
      multi->idle.push_back(e);
      return false;
    }
    t->added_at = WallNow();
    active.push_back(std::move(t));
    return true;
  };

  auto finish = [&](CURL* e, CURLcode code) {
    auto it = std::find_if(active.begin(), active.end(),
                           [e](const std::unique_ptr<Transfer>& t) { return t->easy == e; });
    if (it == active.end()) return;
    Transfer& t = **it;
    long connects = 0;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    connections_opened_ += connects;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      t.response.status = static_cast<int>(status);
      StampTimes(e, t.added_at, WallNow(), t.response);
      results[t.index] = std::move(t.response);
    } else {
      results[t.index] =
          Error(StatusFromCurlCode(static_cast<int>(code), t.error, Describe(*t.request)));
    }
    curl_multi_remove_handle(multi->handle, e);
    curl_slist_free_all(t.headers);
    multi->idle.push_back(e);
    active.erase(it);
  };

  while (!todo.empty() || !active.empty()) {
    while (!todo.empty() && active.size() < window) {
      size_t index = todo.front();
      todo.pop_front();
      start(index);
    }
    if (active.empty()) continue;
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi->handle, &running);
    if (mc != CURLM_OK) {
      // Fail what is in flight; the multi handle is not reused.
      for (auto& t : active) {
        results[t->index] = Error(InternalError(std::string("curl_multi_perform: ") +
                                                curl_multi_strerror(mc)));
        curl_multi_remove_handle(multi->handle, t->easy);
        curl_slist_free_all(t->headers);
        curl_easy_cleanup(t->easy);
      }
      active.clear();
      multi = std::make_unique<Multi>();
      continue;
    }
    int queued = 0;
    bool finished_any = false;
    while (CURLMsg* msg = curl_multi_info_read(multi->handle, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        finish(msg->easy_handle, msg->data.result);
        finished_any = true;
      }
    }
    if (!finished_any && !active.empty()) {
      curl_multi_poll(multi->handle, nullptr, 0, 100, nullptr);
    }
  }
  if (multi->handle != nullptr) ReleaseMulti(std::move(multi));
  return results;
}

}  // namespace zcrmsync::crm
