// HttpTransport: the seam between the Zoho client and the network. One
// request/response pair per call, or a batch sent concurrently. Only
// transport failures (no HTTP answer) are errors; any HTTP status, 4xx and
// 5xx included, is a response. Implementations: CurlTransport (libcurl), and
// fakes in tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace zcrmsync::crm {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET POST PUT DELETE PATCH
  std::string url;             // absolute: scheme://host[:port]/path[?query]
  Headers headers;             // may carry secrets (Authorization): never log them
  std::string body;
  // Total time allowed for this request; zero: the transport's default.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names as received
  std::string body;
  // Wall-clock bounds (system clock) of when the server produced this
  // response, stamped by the transport: the request was sent by `sent_at`
  // and the response's first byte arrived by `received_at`, so a server
  // stamped its Date header in between. Unset when the transport does not
  // know.
  std::optional<Clock::TimePoint> sent_at;
  std::optional<Clock::TimePoint> received_at;

  // First header with this name, compared case-insensitively.
  std::optional<std::string> Header(std::string_view name) const;
};

class HttpTransport {
 public:
  // Called just before request `index` starts, on the thread running it, to
  // finish it (e.g. add a fresh Authorization header and the base URL). An
  // error becomes that request's result and it is not sent.
  using Prepare = std::function<Status(size_t index, HttpRequest& request)>;

  virtual ~HttpTransport() = default;

  // Sends every request, keeping at most `max_in_flight` of them in flight at
  // once (<= 0: all at once), and returns one result per request, in input
  // order. `prepare` (may be empty) runs right before each request starts.
  // Errors are transport failures only, classified by crm/http_errors.h
  // (kUnavailable, kDeadlineExceeded, kInvalidArgument for a refused URL, ...).
  // Thread-safe: several threads may call it at the same time.
  virtual std::vector<Result<HttpResponse>> SendAll(std::vector<HttpRequest> requests,
                                                    int max_in_flight,
                                                    const Prepare& prepare) = 0;
  std::vector<Result<HttpResponse>> SendAll(std::vector<HttpRequest> requests,
                                            int max_in_flight) {
    return SendAll(std::move(requests), max_in_flight, Prepare());
  }

  // One request. Thread-safe.
  virtual Result<HttpResponse> Send(HttpRequest request);
};

// Whether plain http:// may be used for `url`: only to a loopback host
// (127.0.0.0/8, localhost, [::1]). https:// is always allowed; any other
// scheme, or http:// elsewhere, gets INVALID_ARGUMENT with the reason.
Status CheckUrlAllowed(std::string_view url);

// "%XX"-escapes everything but unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view text);

}  // namespace zcrmsync::crm
