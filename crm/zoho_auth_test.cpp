#include "crm/zoho_auth.h"

#include <atomic>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/log.h"
#include "crm/testing/fake_transport.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::zcrmsync::testing::FakeClock;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;
using testing::FakeTransport;
using testing::JsonReply;

constexpr char kSecret[] = "s3cr3t-client-secret";
constexpr char kRefresh[] = "1000.refresh-token-value";

AuthOptions Options() {
  AuthOptions o;
  o.data_center = DataCenter::kEu;
  o.client_id = "client";
  o.client_secret = kSecret;
  o.refresh_token = kRefresh;
  return o;
}

// Token endpoint issuing "access-1", "access-2", ... with the given lifetime.
FakeTransport::Handler TokenServer(std::atomic<int>& issued, int lifetime_s = 3600,
                                   std::chrono::milliseconds delay = {}) {
  return [&issued, lifetime_s, delay](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth/v2/token") == std::string::npos) return JsonReply(404, "{}");
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    int n = ++issued;
    return JsonReply(200, R"({"access_token":"access-)" + std::to_string(n) +
                              R"(","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":)" +
                              std::to_string(lifetime_s) + "}");
  };
}

TEST(DataCenterTest, Table) {
  EXPECT_EQ(HostsFor(DataCenter::kUs).accounts_url, "https://accounts.zoho.com");
  EXPECT_EQ(HostsFor(DataCenter::kEu).api_base_url, "https://www.zohoapis.eu");
  EXPECT_EQ(HostsFor(DataCenter::kAu).accounts_url, "https://accounts.zoho.com.au");
  EXPECT_EQ(HostsFor(DataCenter::kCa).accounts_url, "https://accounts.zohocloud.ca");
  EXPECT_EQ(HostsFor(DataCenter::kCn).api_base_url, "https://www.zohoapis.com.cn");
  EXPECT_EQ(HostsFor(DataCenter::kSa).api_base_url, "https://www.zohoapis.sa");
  EXPECT_EQ(HostsFor(DataCenter::kJp).api_base_url, "https://www.zohoapis.jp");
  EXPECT_EQ(HostsFor(DataCenter::kIn).api_base_url, "https://www.zohoapis.in");
  EXPECT_THAT(ParseDataCenter("EU"), ::zcrmsync::testing::IsOkAndHolds(DataCenter::kEu));
  EXPECT_THAT(ParseDataCenter("uk"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ZohoAuthTest, CachesTokenAndSendsCredentialsToAccounts) {
  std::atomic<int> issued{0};
  FakeTransport transport(TokenServer(issued));
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  auto t1 = auth.GetToken();
  auto t2 = auth.GetToken();
  ASSERT_THAT(t1, IsOk());
  ASSERT_THAT(t2, IsOk());
  EXPECT_EQ(t1->access_token, "access-1");
  EXPECT_EQ(t2->access_token, "access-1");
  EXPECT_EQ(t1->api_base_url, "https://www.zohoapis.eu");
  EXPECT_EQ(issued.load(), 1);
  auto reqs = transport.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "https://accounts.zoho.eu/oauth/v2/token");
  EXPECT_THAT(reqs[0].body, HasSubstr("grant_type=refresh_token"));
  EXPECT_THAT(reqs[0].body, HasSubstr("refresh_token=1000.refresh-token-value"));
}

TEST(ZohoAuthTest, TokenCacheFileIsReusedByTheNextProcessOnlyForTheSameCredentials) {
  std::atomic<int> issued{0};
  FakeTransport transport(TokenServer(issued));
  FakeClock clock;
  const std::string dir = ::testing::TempDir() + "zcrmsync-token-cache-" + std::to_string(::getpid());
  AuthOptions o = Options();
  o.token_cache_dir = dir;
  {
    ZohoAuth first(o, transport, clock);
    ASSERT_THAT(first.GetToken(), IsOk());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  struct stat st{};
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A later "process": no token call.
  clock.Advance(std::chrono::seconds(600));
  ZohoAuth second(o, transport, clock);
  EXPECT_EQ(second.GetToken()->access_token, "access-1");
  EXPECT_EQ(issued.load(), 1);
  // Other credentials never use it.
  AuthOptions other = o;
  other.refresh_token = "1000.another-refresh-token";
  ZohoAuth third(other, transport, clock);
  EXPECT_EQ(third.GetToken()->access_token, "access-2");
  // Near expiry it is refreshed, not reused.
  clock.Advance(std::chrono::seconds(3600 - 200));  // 200 s left on access-2
  ZohoAuth fourth(other, transport, clock);
  EXPECT_EQ(fourth.GetToken()->access_token, "access-3");
  EXPECT_EQ(issued.load(), 3);
  std::filesystem::remove_all(dir);
}

TEST(ZohoAuthTest, RefreshesAFewMinutesBeforeExpiry) {
  std::atomic<int> issued{0};
  FakeTransport transport(TokenServer(issued));
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  ASSERT_THAT(auth.GetToken(), IsOk());
  clock.Advance(std::chrono::seconds(3600 - 301));
  EXPECT_EQ(auth.GetToken()->access_token, "access-1");
  clock.Advance(std::chrono::seconds(2));  // inside the 5-minute margin
  EXPECT_EQ(auth.GetToken()->access_token, "access-2");
  EXPECT_EQ(issued.load(), 2);
}

// Token endpoint whose replies name `api_domain`.
FakeTransport::Handler TokenServerNaming(std::string api_domain) {
  return [api_domain](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth/v2/token") == std::string::npos) return JsonReply(404, "{}");
    return JsonReply(200, R"({"access_token":"access-1","api_domain":")" + api_domain +
                              R"(","token_type":"Bearer","expires_in":3600})");
  };
}

// Issue #12 (15): the reply's api_domain never replaces an explicit
// api_base_url, so a sandbox config cannot write to the production org.
TEST(ZohoAuthTest, ConfiguredApiBaseUrlWinsOverTheReplysApiDomain) {
  FakeTransport transport(TokenServerNaming("https://www.zohoapis.com"));
  FakeClock clock;
  AuthOptions o = Options();
  o.data_center = DataCenter::kUs;
  o.api_base_url = "https://sandbox.zohoapis.com/";
  ZohoAuth auth(o, transport, clock);
  EXPECT_EQ(auth.api_base_url(), "https://sandbox.zohoapis.com");
  auto token = auth.GetToken();
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->api_base_url, "https://sandbox.zohoapis.com");
  EXPECT_EQ(auth.api_base_url(), "https://sandbox.zohoapis.com");
  EXPECT_EQ(transport.requests()[0].url, "https://accounts.zoho.com/oauth/v2/token");
  // The emulator: accounts and API on loopback, whatever the reply says.
  FakeTransport emulator(TokenServerNaming("https://www.zohoapis.eu"));
  o.accounts_url = "http://127.0.0.1:9/";
  o.api_base_url = "http://127.0.0.1:9";
  ZohoAuth local(o, emulator, clock);
  ASSERT_THAT(local.GetToken(), IsOk());
  EXPECT_EQ(emulator.requests()[0].url, "http://127.0.0.1:9/oauth/v2/token");
  EXPECT_EQ(local.GetToken()->api_base_url, "http://127.0.0.1:9");
}

// Without an explicit api_base_url the data centre's host is used, and a
// reply naming another host is refused, naming both, never followed.
TEST(ZohoAuthTest, ApiDomainOfAnotherHostThanTheDataCentresIsRefused) {
  FakeTransport transport(TokenServerNaming("https://www.zohoapis.com"));
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);  // data centre eu
  auto token = auth.GetToken();
  EXPECT_THAT(token, StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_FALSE(token.has_value());
  EXPECT_THAT(token.error().message(), HasSubstr("www.zohoapis.com"));
  EXPECT_THAT(token.error().message(), HasSubstr("www.zohoapis.eu"));
  EXPECT_THAT(token.error().message(), HasSubstr("zoho.data_center"));
  EXPECT_THAT(token.error().message(), Not(HasSubstr("access-1")));
  EXPECT_EQ(auth.api_base_url(), "https://www.zohoapis.eu");
  // The same host, in another case or with a trailing slash, is the same.
  FakeTransport same(TokenServerNaming("https://WWW.zohoapis.eu/"));
  ZohoAuth ok(Options(), same, clock);
  auto good = ok.GetToken();
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->api_base_url, "https://www.zohoapis.eu");
}

// A cached token written under another api_base_url (the cache is keyed by
// the credentials and the accounts URL) does not redirect the calls either.
TEST(ZohoAuthTest, CachedTokenKeepsTheConfiguredApiBaseUrl) {
  FakeTransport transport(TokenServerNaming("https://www.zohoapis.eu"));
  FakeClock clock;
  const std::string dir =
      ::testing::TempDir() + "zcrmsync-token-base-" + std::to_string(::getpid());
  AuthOptions production = Options();
  production.token_cache_dir = dir;
  {
    ZohoAuth first(production, transport, clock);
    ASSERT_EQ(first.GetToken()->api_base_url, "https://www.zohoapis.eu");
  }
  AuthOptions sandbox = production;
  sandbox.api_base_url = "https://sandbox.zohoapis.eu";
  ZohoAuth second(sandbox, transport, clock);
  auto token = second.GetToken();
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->access_token, "access-1");  // from the cache
  EXPECT_EQ(token->api_base_url, "https://sandbox.zohoapis.eu");
  EXPECT_EQ(transport.requests().size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(ZohoAuthTest, ConcurrentCallersShareOneRefresh) {
  std::atomic<int> issued{0};
  FakeTransport transport(TokenServer(issued, 3600, std::chrono::milliseconds(50)));
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (auth.GetToken().has_value()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(issued.load(), 1);
}

TEST(ZohoAuthTest, RejectedTokenIsRefreshedExactlyOnceUnderConcurrency) {
  std::atomic<int> issued{0};
  FakeTransport transport(TokenServer(issued, 3600, std::chrono::milliseconds(50)));
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  const std::string old = auth.GetToken()->access_token;
  std::vector<std::thread> threads;
  std::vector<std::string> got(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto t = auth.Refresh(old);
      if (t.has_value()) got[static_cast<size_t>(i)] = t->access_token;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(issued.load(), 2);  // the first token and one refresh
  for (const std::string& g : got) EXPECT_EQ(g, "access-2");
  EXPECT_EQ(auth.refresh_count(), 2);
}

TEST(ZohoAuthTest, ErrorReplyWithHttp200IsUnauthenticatedAndLeaksNoSecret) {
  std::ostringstream logs;
  log::SetOutputForTesting(&logs);
  FakeTransport transport([](const HttpRequest& r) -> Result<HttpResponse> {
    // A hostile reply quoting the credentials back.
    return JsonReply(200, std::string(R"({"error":"invalid_code )") + kRefresh + " " + kSecret +
                              "\"}");
    (void)r;
  });
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  auto t = auth.GetToken();
  log::SetOutputForTesting(nullptr);
  ASSERT_THAT(t, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(t.error().message(), HasSubstr("refused by Zoho Accounts"));
  EXPECT_THAT(t.error().ToString(), Not(HasSubstr(kSecret)));
  EXPECT_THAT(t.error().ToString(), Not(HasSubstr(kRefresh)));
  EXPECT_THAT(logs.str(), HasSubstr("token refresh failed"));
  EXPECT_THAT(logs.str(), Not(HasSubstr(kSecret)));
  EXPECT_THAT(logs.str(), Not(HasSubstr(kRefresh)));
}

TEST(ZohoAuthTest, MissingAccessTokenIsAnError) {
  FakeTransport transport(
      [](const HttpRequest&) -> Result<HttpResponse> { return JsonReply(200, "{}"); });
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  EXPECT_THAT(auth.GetToken(), StatusIs(StatusCode::kUnauthenticated));
}

TEST(ZohoAuthTest, ThrottledAndServerErrors) {
  FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
    return JsonReply(400, R"({"error":"Access Denied","status":"failure"})");
  });
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  EXPECT_THAT(auth.GetToken(), StatusIs(StatusCode::kResourceExhausted));
  transport.set_handler(
      [](const HttpRequest&) -> Result<HttpResponse> { return JsonReply(503, ""); });
  EXPECT_THAT(auth.GetToken(), StatusIs(StatusCode::kUnavailable));
  transport.set_handler([](const HttpRequest&) -> Result<HttpResponse> {
    return Error(UnavailableError("connection refused"));
  });
  EXPECT_THAT(auth.GetToken(), StatusIs(StatusCode::kUnavailable));
}

TEST(ZohoAuthTest, LegacyExpiresInSec) {
  std::atomic<int> n{0};
  FakeTransport transport([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    return JsonReply(200, R"({"access_token":"a","expires_in":3600000,"expires_in_sec":3600})");
  });
  FakeClock clock;
  ZohoAuth auth(Options(), transport, clock);
  ASSERT_THAT(auth.GetToken(), IsOk());
  clock.Advance(std::chrono::seconds(3000));
  ASSERT_THAT(auth.GetToken(), IsOk());
  EXPECT_EQ(n.load(), 1);
  clock.Advance(std::chrono::seconds(400));
  ASSERT_THAT(auth.GetToken(), IsOk());
  EXPECT_EQ(n.load(), 2);
}

}  // namespace
}  // namespace zcrmsync::crm
