#include "crm/zoho_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "core/secrets.h"
#include "crm/http_errors.h"
#include "crm/json.h"

namespace zcrmsync::crm {
namespace {

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("crm.auth");
  return *logger;
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "https://www.zohoapis.eu/" -> "www.zohoapis.eu": the host (and port) of a
// URL, lower-cased; a bare host is returned as is.
std::string HostOf(std::string_view url) {
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find('/'));
  std::string host(url);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

}  // namespace

Result<DataCenter> ParseDataCenter(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "us" || lower == "com") return DataCenter::kUs;
  if (lower == "eu") return DataCenter::kEu;
  if (lower == "in") return DataCenter::kIn;
  if (lower == "au") return DataCenter::kAu;
  if (lower == "jp") return DataCenter::kJp;
  if (lower == "ca") return DataCenter::kCa;
  if (lower == "sa") return DataCenter::kSa;
  if (lower == "cn") return DataCenter::kCn;
  return Error(InvalidArgumentError("unknown Zoho data centre '" + std::string(name) +
                                    "' (expected us, eu, in, au, jp, ca, sa or cn)"));
}

DataCenterHosts HostsFor(DataCenter dc) {
  switch (dc) {
    case DataCenter::kUs:
      return {"https://accounts.zoho.com", "https://www.zohoapis.com"};
    case DataCenter::kEu:
      return {"https://accounts.zoho.eu", "https://www.zohoapis.eu"};
    case DataCenter::kIn:
      return {"https://accounts.zoho.in", "https://www.zohoapis.in"};
    case DataCenter::kAu:
      return {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"};
    case DataCenter::kJp:
      return {"https://accounts.zoho.jp", "https://www.zohoapis.jp"};
    case DataCenter::kCa:
      return {"https://accounts.zohocloud.ca", "https://www.zohoapis.ca"};
    case DataCenter::kSa:
      return {"https://accounts.zoho.sa", "https://www.zohoapis.sa"};
    case DataCenter::kCn:
      return {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"};
  }
  return {"https://accounts.zoho.com", "https://www.zohoapis.com"};
}

ZohoAuth::ZohoAuth(AuthOptions options, HttpTransport& transport, Clock& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock) {
  DataCenterHosts hosts = HostsFor(options_.data_center);
  explicit_api_base_url_ = !options_.api_base_url.empty();
  if (options_.accounts_url.empty()) options_.accounts_url = hosts.accounts_url;
  if (options_.api_base_url.empty()) options_.api_base_url = hosts.api_base_url;
  options_.accounts_url = TrimSlash(options_.accounts_url);
  options_.api_base_url = TrimSlash(options_.api_base_url);
  token_.api_base_url = options_.api_base_url;
}

Result<ZohoAuth::Token> ZohoAuth::GetToken() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cache_loaded_) LoadCachedToken();
  while (true) {
    if (!token_.access_token.empty() && clock_.SteadyNow() < refresh_at_) return token_;
    if (!refreshing_) return RefreshLocked(lock);
    const int64_t seen = refresh_count_;
    cv_.wait(lock, [this] { return !refreshing_; });
    // The refresh we waited for failed: share its error, do not stampede.
    if (refresh_count_ == seen && !last_error_.ok()) return Error(last_error_);
  }
}

Result<ZohoAuth::Token> ZohoAuth::Refresh(std::string_view rejected_access_token) {
  std::unique_lock<std::mutex> lock(mu_);
  if (refreshing_) {
    const int64_t seen = refresh_count_;
    cv_.wait(lock, [this] { return !refreshing_; });
    if (refresh_count_ == seen && !last_error_.ok()) return Error(last_error_);
  }
  if (!token_.access_token.empty() && token_.access_token != rejected_access_token) {
    return token_;  // someone else already replaced the rejected token
  }
  return RefreshLocked(lock);
}

Result<ZohoAuth::Token> ZohoAuth::RefreshLocked(std::unique_lock<std::mutex>& lock) {
  refreshing_ = true;
  lock.unlock();
  Result<Token> fetched = FetchToken();
  lock.lock();
  refreshing_ = false;
  if (fetched.has_value()) {
    token_ = *fetched;
    ++refresh_count_;
    last_error_ = Status::Ok();
  } else {
    last_error_ = fetched.error();
  }
  cv_.notify_all();
  return fetched;
}

Result<ZohoAuth::Token> ZohoAuth::FetchToken() {
  HttpRequest request;
  request.method = "POST";
  request.url = options_.accounts_url + "/oauth/v2/token";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = "grant_type=refresh_token&client_id=" + UrlEncode(options_.client_id) +
                 "&client_secret=" + UrlEncode(options_.client_secret) +
                 "&refresh_token=" + UrlEncode(options_.refresh_token);
  request.timeout = options_.timeout;
  const std::vector<std::string> secrets = {options_.client_secret, options_.refresh_token};
  const auto started = clock_.SteadyNow();
  Result<HttpResponse> response = transport_.Send(std::move(request));
  if (!response.has_value()) {
    Status s = response.error();
    Status clean(s.code(), RedactSecrets("token refresh: " + s.message(), secrets));
    for (const auto& [k, v] : s.payloads()) clean.SetPayload(k, RedactSecrets(v, secrets));
    Log().Warn("token refresh failed", {{"error", clean.ToString()}});
    return Error(std::move(clean));
  }
  Result<JsonValue> body = ParseJson(response->body);
  const JsonValue json = body.has_value() ? std::move(*body) : JsonValue();
  const std::string error = json.GetString("error");
  const JsonValue* access = json.Find("access_token");
  if (response->status != 200 || !error.empty() || access == nullptr || !access->is_string() ||
      access->as_string().empty()) {
    std::string what = RedactSecrets(error.empty() ? std::string("no access_token in the reply")
                                                   : error,
                                     secrets);
    Status s;
    if (response->status == 429 || what == "Access Denied") {
      // Accounts throttles after 10 tokens per refresh token in 10 minutes.
      s = ResourceExhaustedError("token refresh throttled by Zoho Accounts: " + what);
    } else if (response->status >= 500) {
      s = UnavailableError("token refresh: Zoho Accounts answered HTTP " +
                           std::to_string(response->status));
    } else {
      std::string hint;
      if (error == "invalid_code") hint = " (refresh token revoked, expired or wrong)";
      if (error == "invalid_client") hint = " (client id or client secret wrong)";
      s = UnauthenticatedError("token refresh refused by Zoho Accounts (HTTP " +
                               std::to_string(response->status) + "): " + what + hint);
    }
    s.SetPayload("http_status", std::to_string(response->status));
    Log().Warn("token refresh failed", {{"error", s.ToString()}});
    return Error(std::move(s));
  }
  Token token;
  token.access_token = access->as_string();
  // Calls go to the configured (or data centre's) host, never silently to the
  // reply's api_domain: a sandbox config must not reach the production org.
  token.api_base_url = options_.api_base_url;
  const std::string api_domain = TrimSlash(json.GetString("api_domain"));
  if (!api_domain.empty() && HostOf(api_domain) != HostOf(options_.api_base_url)) {
    if (!explicit_api_base_url_) {
      Status s = FailedPreconditionError(
          "Zoho's token reply names the API host " + HostOf(api_domain) +
          " for this account, but the agent calls " + HostOf(options_.api_base_url) +
          " (the data centre's); refusing to switch hosts: set zoho.data_center to the "
          "account's data centre, or zoho.api_base_url to the host to use");
      Log().Warn("token refused", {{"error", s.ToString()}});
      return Error(std::move(s));
    }
    Log().Info("the token reply names another API host; the configured api_base_url is used",
               {{"api_domain", api_domain}, {"api_base_url", options_.api_base_url}});
  }
  // expires_in is seconds; old replies had expires_in_sec (and expires_in in ms).
  int64_t lifetime_s = 3600;
  if (const JsonValue* v = json.Find("expires_in_sec"); v != nullptr && v->is_int()) {
    lifetime_s = v->as_int();
  } else if (const JsonValue* e = json.Find("expires_in"); e != nullptr && e->is_int()) {
    lifetime_s = e->as_int();
  }
  lifetime_s = std::max<int64_t>(lifetime_s, 1);
  // Refresh refresh_margin early, but never earlier than half the lifetime.
  const int64_t margin_s = std::min<int64_t>(options_.refresh_margin.count(), lifetime_s / 2);
  // FetchToken runs without mu_ (RefreshLocked released it); only the one
  // refreshing caller gets here, so writing refresh_at_ under mu_ is enough.
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_at_ = started + std::chrono::seconds(lifetime_s - margin_s);
  }
  Log().Info("access token refreshed",
             {{"expires_in_s", lifetime_s}, {"api_base_url", token.api_base_url}});
  SaveCachedToken(token, clock_.Now() + std::chrono::seconds(lifetime_s));
  return token;
}

namespace {

// Names the credentials a cached token belongs to, without holding them.
std::string CacheOwner(const AuthOptions& o) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (const std::string* part : {&o.client_id, &o.refresh_token, &o.accounts_url}) {
    for (unsigned char c : *part) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  }
  return std::to_string(h);
}

}  // namespace

std::string ZohoAuth::CacheFile() const {
  if (options_.token_cache_dir.empty()) return "";
  return options_.token_cache_dir + "/zoho-token-" + CacheOwner(options_) + ".json";
}

void ZohoAuth::LoadCachedToken() {
  cache_loaded_ = true;
  const std::string file = CacheFile();
  if (file.empty()) return;
  std::ifstream in(file);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  auto json = ParseJson(text.str());
  if (!json || json->GetString("owner") != CacheOwner(options_)) return;
  const JsonValue* expires = json->Find("expires_at_unix");
  if (expires == nullptr || !expires->is_int()) return;
  const auto expires_at = Clock::TimePoint(std::chrono::seconds(expires->as_int()));
  const auto left = expires_at - clock_.Now() - options_.refresh_margin;
  if (left <= Clock::Duration::zero()) return;
  token_.access_token = json->GetString("access_token");
  // Not the cached base URL: a file written under another api_base_url (the
  // cache is keyed by the credentials and accounts URL) must not redirect calls.
  token_.api_base_url = options_.api_base_url;
  if (token_.access_token.empty()) return;
  refresh_at_ = clock_.SteadyNow() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
  Log().Info("reusing the cached access token",
             {{"expires_in_s", std::chrono::duration_cast<std::chrono::seconds>(expires_at - clock_.Now()).count()}});
}

void ZohoAuth::SaveCachedToken(const Token& token, Clock::TimePoint expires_at) {
  const std::string file = CacheFile();
  if (file.empty()) return;
  JsonValue::Object o;
  o["owner"] = JsonValue(CacheOwner(options_));
  o["access_token"] = JsonValue(token.access_token);
  o["api_base_url"] = JsonValue(token.api_base_url);
  o["expires_at_unix"] = JsonValue(static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(expires_at.time_since_epoch()).count()));
  const std::string tmp = file + ".tmp";
  std::error_code ec;
  std::filesystem::create_directories(options_.token_cache_dir, ec);
  {
    // Created 0600 before the secret is written.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
      Log().Warn("cannot write the access token cache; each run fetches a new token",
                 {{"file", file}});
      return;
    }
    const std::string text = ToJson(JsonValue(std::move(o)));
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) return;
  }
  std::filesystem::rename(tmp, file, ec);
}

std::string ZohoAuth::api_base_url() {
  std::lock_guard<std::mutex> lock(mu_);
  return token_.api_base_url;
}

int64_t ZohoAuth::refresh_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return refresh_count_;
}

std::vector<std::string> ZohoAuth::SecretsForRedaction() {
  std::lock_guard<std::mutex> lock(mu_);
  // Very short values (test fixtures) would mangle every message; real
  // secrets and tokens are far longer.
  std::vector<std::string> out;
  for (const std::string* s : {&options_.client_secret, &options_.refresh_token,
                               &token_.access_token}) {
    if (s->size() >= 6) out.push_back(*s);
  }
  return out;
}

}  // namespace zcrmsync::crm
