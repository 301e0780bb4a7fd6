#include "agent/zoho_session.h"

#include <cstdlib>
#include <optional>
#include <string>

#include "core/status_macros.h"

namespace zcrmsync::agent {
namespace {

// Where the access token is kept between runs: $ZCRMSYNC_TOKEN_CACHE_DIR
// ("" turns the cache off), else systemd's StateDirectory, else the user's
// cache folder.
std::string TokenCacheDir() {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  if (auto dir = env("ZCRMSYNC_TOKEN_CACHE_DIR")) return *dir;
  if (auto dir = env("STATE_DIRECTORY"); dir && !dir->empty()) return dir->substr(0, dir->find(':'));
  if (auto dir = env("XDG_CACHE_HOME"); dir && !dir->empty()) return *dir + "/zcrmsync";
  if (auto home = env("HOME"); home && !home->empty()) return *home + "/.cache/zcrmsync";
  return "";
}

}  // namespace

Result<ZohoSession> MakeZohoSession(const mappings::Config& config, int max_attempts) {
  ZCRMSYNC_ASSIGN_OR_RETURN(crm::DataCenter dc, crm::ParseDataCenter(config.zoho.data_center));
  ZohoSession s;
  s.transport = std::make_unique<crm::CurlTransport>(crm::CurlTransportOptions{
      .proxy = config.zoho.proxy.value_or(""), .ca_file = config.zoho.ca_file.value_or("")});
  s.auth = std::make_unique<crm::ZohoAuth>(
      crm::AuthOptions{.data_center = dc,
                       .client_id = config.zoho.client_id,
                       .client_secret = config.zoho.client_secret,
                       .refresh_token = config.zoho.refresh_token,
                       .accounts_url = config.zoho.accounts_url.value_or(""),
                       .api_base_url = config.zoho.api_base_url.value_or(""),
                       .token_cache_dir = TokenCacheDir()},
      *s.transport, SystemClock());
  crm::ClientOptions options;
  options.max_concurrency = config.zoho.max_concurrency;
  options.retry.max_attempts = max_attempts;
  s.client = std::make_unique<crm::ZohoClient>(options, *s.auth, *s.transport, SystemClock());
  return s;
}

}  // namespace zcrmsync::agent
