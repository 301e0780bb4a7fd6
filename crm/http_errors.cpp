// The one place where libcurl codes, HTTP statuses and Zoho error codes become
// Status values (see crm/http_errors.h for the table).
#include "crm/http_errors.h"

#include <cmath>
#include <string>

#include <curl/curl.h>

namespace zcrmsync::crm {
namespace {

constexpr size_t kMaxMessage = 200;

std::string Shorten(std::string_view text) {
  if (text.size() <= kMaxMessage) return std::string(text);
  return std::string(text.substr(0, kMaxMessage)) + "...";
}

// Seconds (Retry-After: 30) or, unparseable (an HTTP date), nothing.
std::optional<std::chrono::milliseconds> ParseRetryAfterHeader(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  int64_t seconds = 0;
  for (char c : v) {
    if (c == ' ') break;
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
    if (seconds > 86'400) return std::chrono::hours(24);
  }
  return std::chrono::milliseconds(seconds * 1000);
}

void AddItemPayloads(Status& s, const JsonValue& details) {
  if (!details.is_object()) return;
  if (std::string f = details.GetString("api_name"); !f.empty()) s.SetPayload("field", f);
  if (std::string t = details.GetString("Modified_Time"); !t.empty()) {
    s.SetPayload("modified_time", t);
  }
  if (const JsonValue* dup = details.Find("duplicate_record"); dup != nullptr) {
    if (std::string id = dup->GetString("id"); !id.empty()) s.SetPayload("duplicate_id", id);
  }
}

}  // namespace

Status StatusFromCurlCode(int curl_code, std::string_view error_text, std::string_view what) {
  const auto code = static_cast<CURLcode>(curl_code);
  std::string detail = std::string(what) + ": " +
                       (error_text.empty() ? std::string(curl_easy_strerror(code))
                                           : Shorten(error_text)) +
                       " (curl " + std::to_string(curl_code) + ")";
  Status s;
  bool not_sent = false;
  switch (code) {
    case CURLE_OK:
      return Status::Ok();
    case CURLE_OPERATION_TIMEDOUT:
      s = DeadlineExceededError(std::move(detail));
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      not_sent = true;
      s = UnavailableError(std::move(detail));
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
      s = UnavailableError(std::move(detail));
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      // Certificate or TLS set-up problems do not heal by retrying.
      s = FailedPreconditionError(std::move(detail));
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      not_sent = true;
      s = InvalidArgumentError(std::move(detail));
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      s = CancelledError(std::move(detail));
      break;
    case CURLE_OUT_OF_MEMORY:
      s = InternalError(std::move(detail));
      break;
    default:
      s = UnknownError(std::move(detail));
      break;
  }
  s.SetPayload("curl_code", std::to_string(curl_code));
  if (not_sent) s.SetPayload("not_sent", "1");
  return s;
}

StatusCode CodeForZohoError(std::string_view z, int http_status) {
  if (z == "INVALID_TOKEN" || z == "AUTHENTICATION_FAILURE" || z == "invalid_code" ||
      z == "invalid_client") {
    return StatusCode::kUnauthenticated;
  }
  if (z == "OAUTH_SCOPE_MISMATCH" || z == "NO_PERMISSION" || z == "AUTHORIZATION_FAILED" ||
      z == "FEATURE_NOT_ENABLED" || z == "FEATURE_NOT_SUPPORTED") {
    return StatusCode::kPermissionDenied;
  }
  if (z == "TOO_MANY_REQUESTS") return StatusCode::kResourceExhausted;
  if (z == "INTERNAL_ERROR") return StatusCode::kUnavailable;
  if (z == "ALREADY_MODIFIED") return StatusCode::kAborted;
  if (z == "RECORD_LOCKED") return StatusCode::kUnavailable;
  if (z == "NOT_APPROVED" || z == "RECORD_IN_BLUEPRINT" || z == "NOT_REVIEWED") {
    return StatusCode::kFailedPrecondition;
  }
  if (z == "INVALID_DATA" || z == "MANDATORY_NOT_FOUND" || z == "DUPLICATE_DATA" ||
      z == "MULTIPLE_OR_MULTI_ERRORS" || z == "DEPENDENT_FIELD_MISSING" ||
      z == "DEPENDENT_MISMATCH" || z == "CANNOT_DELETE" || z == "ID_ALREADY_CONVERTED" ||
      z == "LIMIT_EXCEEDED" || z == "SYNTAX_ERROR" || z == "INVALID_QUERY") {
    return StatusCode::kInvalidArgument;
  }
  if (z == "DISCRETE_PAGINATION_LIMIT_EXCEEDED" || z == "PAGINATION_LIMIT_EXCEEDED" ||
      z == "TOKEN_BOUND_DATA_MISMATCH" || z == "EXPIRED_VALUE" || z == "LIMIT_REACHED") {
    return StatusCode::kOutOfRange;
  }
  if (z == "INVALID_MODULE" || z == "INVALID_URL_PATTERN" || z == "INVALID_HOST" ||
      z == "REQUIRED_PARAM_MISSING" || z == "PATTERN_NOT_MATCHED" ||
      z == "INVALID_REQUEST_METHOD" || z == "INVALID_REQUEST" || z == "API_NOT_SUPPORTED") {
    return StatusCode::kFailedPrecondition;
  }
  // Unknown code: go by the HTTP status.
  if (http_status == 429) return StatusCode::kResourceExhausted;
  if (http_status >= 500) return StatusCode::kUnavailable;
  if (http_status == 401) return StatusCode::kUnauthenticated;
  if (http_status == 403) return StatusCode::kPermissionDenied;
  if (http_status == 404) return StatusCode::kNotFound;
  if (http_status == 412) return StatusCode::kAborted;
  if (http_status == 408) return StatusCode::kDeadlineExceeded;
  if (http_status == 400 || http_status == 0) return StatusCode::kInvalidArgument;
  return StatusCode::kFailedPrecondition;
}

Status ResponseStatus(const HttpResponse& response, bool per_record, std::string_view what) {
  const int http = response.status;
  if ((http >= 200 && http < 300) || http == 304) return Status::Ok();
  Result<JsonValue> body = response.body.empty() ? Result<JsonValue>(JsonValue())
                                                 : ParseJson(response.body);
  const JsonValue json = body.has_value() ? std::move(*body) : JsonValue();
  if (per_record && (http == 400 || http == 412)) {
    const JsonValue* data = json.Find("data");
    if (data != nullptr && data->is_array() && !data->as_array().empty()) return Status::Ok();
  }
  std::string zoho_code = json.GetString("code");
  std::string message = json.GetString("message");
  StatusCode code = CodeForZohoError(zoho_code, http);
  // Status-level facts outrank an odd code: 429 and 5xx are always transient,
  // a scope problem stays a permission problem even under 401.
  if (http == 429) code = StatusCode::kResourceExhausted;
  if (http >= 500) code = StatusCode::kUnavailable;
  if (http == 403) code = StatusCode::kPermissionDenied;
  std::string text = std::string(what) + ": HTTP " + std::to_string(http);
  if (!zoho_code.empty()) text += " " + Shorten(zoho_code);
  if (!message.empty()) text += " (" + Shorten(message) + ")";
  Status s(code, std::move(text));
  s.SetPayload("http_status", std::to_string(http));
  if (!zoho_code.empty()) s.SetPayload("zoho_code", zoho_code);
  const JsonValue* details = json.Find("details");
  if (details != nullptr) AddItemPayloads(s, *details);
  std::optional<std::chrono::milliseconds> retry_after;
  if (auto h = response.Header("Retry-After"); h.has_value()) {
    retry_after = ParseRetryAfterHeader(*h);
  }
  if (!retry_after && details != nullptr) {
    if (const JsonValue* ra = details->Find("retry_after"); ra != nullptr) {
      // Unconfirmed unit; read as seconds like the header.
      if (ra->is_int() && ra->as_int() >= 0) {
        retry_after = std::chrono::milliseconds(std::min<int64_t>(ra->as_int(), 86'400) * 1000);
      }
    }
  }
  if (retry_after) s.SetPayload("retry_after_ms", std::to_string(retry_after->count()));
  return s;
}

Status RecordStatus(const JsonValue& item, int http_status) {
  if (item.GetString("status") == "success" || item.GetString("code") == "SUCCESS") {
    return Status::Ok();
  }
  std::string zoho_code = item.GetString("code");
  std::string message = item.GetString("message");
  const JsonValue* details = item.Find("details");
  StatusCode code = CodeForZohoError(zoho_code, 0);
  std::string text = "Zoho " + std::to_string(http_status) + " " +
                     (zoho_code.empty() ? std::string("error") : Shorten(zoho_code));
  if (details != nullptr) {
    if (std::string f = details->GetString("api_name"); !f.empty()) text += " " + Shorten(f);
  }
  if (!message.empty()) text += " (" + Shorten(message) + ")";
  Status s(code, std::move(text));
  s.SetPayload("http_status", std::to_string(http_status));
  if (!zoho_code.empty()) s.SetPayload("zoho_code", zoho_code);
  if (details != nullptr) AddItemPayloads(s, *details);
  return s;
}

std::optional<std::chrono::milliseconds> RetryAfterOf(const Status& status) {
  std::optional<std::string> v = status.GetPayload("retry_after_ms");
  if (!v || v->empty()) return std::nullopt;
  return std::chrono::milliseconds(std::stoll(*v));
}

bool NotSent(const Status& status) { return status.GetPayload("not_sent") == "1"; }

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return std::nullopt;
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto number = [&](size_t at, size_t len) -> std::optional<int> {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const size_t month = kMonths.find(text.substr(8, 3));
  auto day = number(5, 2), year = number(12, 4), hh = number(17, 2), mm = number(20, 2),
       ss = number(23, 2);
  if (month == std::string_view::npos || month % 3 != 0 || !day || !year || !hh || !mm || !ss ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || *hh > 23 || *mm > 59 || *ss > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(*year),
                                        std::chrono::month(static_cast<unsigned>(month / 3 + 1)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(*hh) + std::chrono::minutes(*mm) +
         std::chrono::seconds(*ss);
}

}  // namespace zcrmsync::crm
