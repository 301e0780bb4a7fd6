#include "crm/http_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crm/curl_transport.h"
#include "crm/http_errors.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;

TEST(CheckUrlAllowedTest, HttpsAlwaysHttpOnlyToLoopback) {
  EXPECT_THAT(CheckUrlAllowed("https://www.zohoapis.eu/crm/v8/Leads"), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://127.0.0.1:8080/x"), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://127.5.6.7/x"), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://localhost:1/x"), IsOk());
  EXPECT_THAT(CheckUrlAllowed("HTTP://LOCALHOST/x"), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://[::1]:9000/x"), IsOk());
  for (const char* url :
       {"http://www.zohoapis.com/crm/v8/Leads", "http://10.0.0.1/", "http://128.0.0.1/",
        "http://127.0.0.1.evil.example/", "http://127.0.0.1@evil.example/",
        "http://localhost.evil.example/", "http://[::2]/", "ftp://127.0.0.1/", "file:///etc/x",
        "127.0.0.1/x"}) {
    EXPECT_THAT(CheckUrlAllowed(url), StatusIs(StatusCode::kInvalidArgument)) << url;
  }
}

TEST(CheckUrlAllowedTest, MessageSaysWhy) {
  Status s = CheckUrlAllowed("http://crm.example.com/x");
  EXPECT_THAT(s.message(), ::testing::HasSubstr("TLS is required"));
}

TEST(UrlEncodeTest, EscapesReserved) {
  EXPECT_EQ(UrlEncode("a b+c&d=e/é"), "a%20b%2Bc%26d%3De%2F%C3%A9");
  EXPECT_EQ(UrlEncode("Az09-_.~"), "Az09-_.~");
}

TEST(CurlTransportTest, RefusesPlainHttpToNonLoopbackBeforeAnyIo) {
  CurlTransport transport;
  HttpRequest r;
  r.url = "http://www.zohoapis.com/crm/v8/Leads";
  Result<HttpResponse> result = transport.Send(r);
  EXPECT_THAT(result, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(result.error().message(), ::testing::HasSubstr("plain http:// refused"));
  EXPECT_TRUE(NotSent(result.error()));
  EXPECT_EQ(transport.connections_opened(), 0);
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  CurlTransport transport;
  HttpRequest r;
  r.url = "http://127.0.0.1:1/nothing-listens-here";
  Result<HttpResponse> result = transport.Send(r);
  EXPECT_THAT(result, StatusIs(StatusCode::kUnavailable));
  EXPECT_TRUE(NotSent(result.error()));
}

TEST(CurlTransportTest, SendAllKeepsInputOrder) {
  CurlTransport transport;
  std::vector<HttpRequest> rs(3);
  rs[0].url = "http://127.0.0.1:1/a";
  rs[1].url = "http://example.com/b";  // refused
  rs[2].url = "http://127.0.0.1:1/c";
  auto results = transport.SendAll(rs, 2);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0], StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(results[1], StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(results[2], StatusIs(StatusCode::kUnavailable));
}

}  // namespace
}  // namespace zcrmsync::crm
