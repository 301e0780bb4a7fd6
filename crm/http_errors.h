// Error translation for the Zoho client: libcurl codes, HTTP statuses and Zoho
// error codes become a Status here and nowhere else (crm/http_errors.cpp).
// Retry decisions then follow core/retry.h from the StatusCode alone:
//   retryable      429 -> kResourceExhausted; 5xx, connection failures ->
//                  kUnavailable; timeouts -> kDeadlineExceeded
//   authentication 401 INVALID_TOKEN / AUTHENTICATION_FAILURE -> kUnauthenticated
//   permission     401 OAUTH_SCOPE_MISMATCH, 403, NO_PERMISSION -> kPermissionDenied
//   configuration  INVALID_MODULE, INVALID_URL_PATTERN, REQUIRED_PARAM_MISSING,
//                  ... -> kFailedPrecondition
//   per record     INVALID_DATA, MANDATORY_NOT_FOUND, DUPLICATE_DATA, ... ->
//                  kInvalidArgument with payload "field" = details.api_name
//   conflict       412 / ALREADY_MODIFIED -> kAborted with payload
//                  "modified_time": re-fetch, resolve, then retry (the client
//                  never re-sends it by itself: the same request fails again)
//   paging limits  *PAGINATION_LIMIT_EXCEEDED, TOKEN_BOUND_DATA_MISMATCH,
//                  EXPIRED_VALUE, LIMIT_REACHED -> kOutOfRange
// Payloads set: "http_status", "zoho_code", "field", "retry_after_ms",
// "modified_time", "duplicate_id", and "not_sent" = "1" when the request
// certainly never reached the server (resolve/connect failures, refused URL).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "crm/json.h"
#include "crm/http_transport.h"

namespace zcrmsync::crm {

// A libcurl result code (CURLcode as int) and curl's error text. `what` names
// the call for the message ("POST https://host/crm/v8/Leads"): no query string,
// no secrets.
Status StatusFromCurlCode(int curl_code, std::string_view error_text, std::string_view what);

// An HTTP Date header ("Mon, 30 Nov 2026 12:31:59 GMT", RFC 9110's IMF-fixdate)
// as a UTC time; nullopt for any other form.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// The Status for a Zoho error code with its HTTP status (0 when per record).
StatusCode CodeForZohoError(std::string_view zoho_code, int http_status);

// The request-level outcome of an API response: OK for 2xx and 304; OK also
// for 400/412 when `per_record` and the body carries a per-record "data"
// array (the caller then reads each item with RecordStatus). Otherwise the
// classified error, with Retry-After (header seconds, or details.retry_after)
// in payload "retry_after_ms".
Status ResponseStatus(const HttpResponse& response, bool per_record, std::string_view what);

// The Status of one per-record result item
// ({"code":"INVALID_DATA","details":{"api_name":"Email"},...}); OK for
// "status":"success". `http_status` is the response's, for the payload.
Status RecordStatus(const JsonValue& item, int http_status);

// Retry-After carried by a Status from ResponseStatus, if any.
std::optional<std::chrono::milliseconds> RetryAfterOf(const Status& status);

// True when the request certainly never reached the server (payload "not_sent").
bool NotSent(const Status& status);

}  // namespace zcrmsync::crm
