// ZohoAuth: the OAuth refresh-token flow. Holds the client secret and refresh
// token, caches the access token, refreshes it a few minutes before expiry or
// when the API rejects it (401 INVALID_TOKEN), with exactly one caller
// refreshing while the others wait. Secrets never appear in logs or messages.
// Also maps Zoho data centres to their accounts and API hosts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "crm/http_transport.h"

namespace zcrmsync::crm {

enum class DataCenter { kUs, kEu, kIn, kAu, kJp, kCa, kSa, kCn };

// "us" "eu" "in" "au" "jp" "ca" "sa" "cn" (any case) -> DataCenter;
// INVALID_ARGUMENT otherwise.
Result<DataCenter> ParseDataCenter(std::string_view name);

struct DataCenterHosts {
  std::string accounts_url;  // "https://accounts.zoho.eu"
  std::string api_base_url;  // "https://www.zohoapis.eu"
};
DataCenterHosts HostsFor(DataCenter dc);

struct AuthOptions {
  DataCenter data_center = DataCenter::kUs;
  std::string client_id;
  std::string client_secret;  // secret
  std::string refresh_token;  // secret
  // Overrides for the emulator or a proxy: base URLs without a trailing path
  // ("http://127.0.0.1:18080"). Empty: the data centre's hosts.
  //
  // API calls always go to api_base_url (or the data centre's), never to the
  // api_domain of Zoho's token reply, so a sandbox or emulator config cannot
  // be switched to another org's host. When api_base_url is set, a different
  // api_domain is logged and ignored (a sandbox's tokens name the production
  // host). When it is empty and api_domain names another host than the data
  // centre's, the token is refused (FAILED_PRECONDITION naming both hosts):
  // data_center is wrong, or the account is not where the config says.
  std::string accounts_url;
  std::string api_base_url;
  // Refresh this long before the token expires.
  std::chrono::seconds refresh_margin{300};
  // A folder where the access token outlives the process, one file per set
  // of credentials (zoho-token-<hash>.json, mode 0600, replaced atomically):
  // Zoho issues at most 10 access tokens per refresh token in 10 minutes, so
  // short runs (run --once from cron, restarts) reuse it. Empty: no cache. A
  // bad or foreign file is ignored.
  std::string token_cache_dir;
  std::chrono::milliseconds timeout{30'000};
};

class ZohoAuth {
 public:
  struct Token {
    std::string access_token;  // secret
    std::string api_base_url;  // where API calls go: the configured or data centre's base
  };

  // `transport` and `clock` must outlive this object.
  ZohoAuth(AuthOptions options, HttpTransport& transport, Clock& clock);

  // The cached token, refreshed first when missing or within refresh_margin
  // of expiry. Errors: UNAUTHENTICATED (Zoho refused the credentials: the
  // reply had "error", HTTP 200 or not), FAILED_PRECONDITION (the reply's
  // api_domain is another host than the data centre's, see AuthOptions), or
  // the transport's error (UNAVAILABLE, DEADLINE_EXCEEDED, ...). Thread-safe:
  // one caller refreshes, others wait.
  Result<Token> GetToken();

  // Called after the API rejected `rejected_access_token` (401 INVALID_TOKEN):
  // refreshes unless another caller already replaced that token, and returns
  // the current one. Thread-safe, same errors as GetToken().
  Result<Token> Refresh(std::string_view rejected_access_token);

  // The API base URL every call goes to: api_base_url, else the data centre's.
  std::string api_base_url();

  // Token replies received (successful refreshes). For tests and stats.
  int64_t refresh_count();

  // The secrets this object holds (client secret, refresh token, current
  // access token; those of 6+ characters), for redacting text before it is logged.
  std::vector<std::string> SecretsForRedaction();

 private:
  Result<Token> RefreshLocked(std::unique_lock<std::mutex>& lock);
  Result<Token> FetchToken();  // no lock held
  std::string CacheFile() const;  // "" without a cache
  void LoadCachedToken();      // mu_ held
  void SaveCachedToken(const Token& token, Clock::TimePoint expires_at);

  AuthOptions options_;
  bool explicit_api_base_url_ = false;  // api_base_url was configured
  HttpTransport& transport_;
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool refreshing_ = false;                  // guarded by mu_
  bool cache_loaded_ = false;                // guarded by mu_
  Token token_;                              // guarded by mu_
  std::chrono::steady_clock::time_point refresh_at_{};  // guarded by mu_
  int64_t refresh_count_ = 0;                // guarded by mu_
  Status last_error_;                        // guarded by mu_
};

}  // namespace zcrmsync::crm
