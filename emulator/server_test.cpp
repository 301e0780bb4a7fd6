// Starts the emulator's HTTP server on a loopback port and talks to it with
// httplib's client, as the agent and the Zoho SDK would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include "emulator/emulator.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::emulator {
namespace {

TEST(ServerTest, TokenThenRecordsOverLoopback) {
  Options o;
  o.admin = true;
  auto emu = Emulator::Create(o);
  ASSERT_TRUE(emu.has_value());
  auto port = (*emu)->Start();
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  EXPECT_GT(*port, 0);
  EXPECT_EQ((*emu)->base_url(), "http://127.0.0.1:" + std::to_string(*port));

  httplib::Client cli("127.0.0.1", *port);
  // Multipart token request, as the Node SDK sends it.
  httplib::MultipartFormDataItems form = {
      {"client_id", "zcrmsync-demo", "", ""},
      {"client_secret", "zcrmsync-demo-secret", "", ""},
      {"refresh_token", "zcrmsync-demo-refresh", "", ""},
      {"grant_type", "refresh_token", "", ""},
  };
  auto res = cli.Post("/oauth/v2/token", form);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  rapidjson::Document d;
  d.Parse(res->body.c_str());
  ASSERT_TRUE(d.HasMember("access_token")) << res->body;
  EXPECT_EQ(std::string(d["api_domain"].GetString()), (*emu)->base_url());
  const std::string token = d["access_token"].GetString();
  httplib::Headers auth = {{"Authorization", "Zoho-oauthtoken " + token}};

  // JSON body with no Content-Type header.
  res = cli.Post("/crm/v8/Leads", auth, R"({"data":[{"Last_Name":"L","Company":"C"}]})", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;

  // Unescaped characters in the query, trailing '&'.
  res = cli.Get("/crm/v8/Leads?fields=Last_Name,Company&sort_order=asc&", auth);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, ::testing::HasSubstr("\"Last_Name\":\"L\""));

  res = cli.Get("/crm/v8/Leads?fields=Last_Name");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);

  res = cli.Get("/__admin/stats");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, ::testing::HasSubstr("\"Leads\":1"));

  // Dropped connection: the client sees a transport error, not an answer.
  res = cli.Post("/__admin/config", R"({"fault_drop":1})", "application/json");
  ASSERT_TRUE(res);
  res = cli.Get("/crm/v8/org", auth);
  EXPECT_FALSE(res && res->status == 200);
  (*emu)->Stop();
  (*emu)->Stop();  // idempotent
}

TEST(ServerTest, FixedPortAndBusyPort) {
  auto first = Emulator::Create(Options{});
  ASSERT_TRUE(first.has_value());
  auto port = (*first)->Start();
  ASSERT_TRUE(port.has_value());
  Options o;
  o.port = *port;
  auto second = Emulator::Create(o);
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT((*second)->Start(), ::zcrmsync::testing::StatusIs(StatusCode::kUnavailable));
}

}  // namespace
}  // namespace zcrmsync::emulator
