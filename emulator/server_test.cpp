// Starts the emulator's HTTP server on a loopback port and talks to it with
// httplib's client, as the agent and the Zoho SDK would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

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

// Watch notifications are POSTed to a real receiver on 127.0.0.1, off the
// request path; a receiver that is down costs the writer nothing.
TEST(ServerTest, NotificationsReachLoopbackReceiver) {
  httplib::Server receiver;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> bodies;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      bodies.push_back(req.body);
    }
    cv.notify_all();
    res.status = 200;
  });
  const int receiver_port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(receiver_port, 0);
  std::thread receiver_thread([&] { receiver.listen_after_bind(); });
  // A port nobody listens on: bound, then closed.
  int dead_port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    dead_port = ntohs(addr.sin_port);
    ::close(fd);
  }

  Options o;
  o.admin = true;
  auto emu = Emulator::Create(o);
  ASSERT_TRUE(emu.has_value());
  auto port = (*emu)->Start();
  ASSERT_TRUE(port.has_value());
  httplib::Client cli("127.0.0.1", *port);
  httplib::Headers auth = {
      {"Authorization", "Zoho-oauthtoken " + (*emu)->IssueTokenForTesting()}};
  const std::string watch =
      R"({"watch":[{"channel_id":"1000000068001","events":["Leads.all"],"token":"tok",
          "notify_url":"http://127.0.0.1:)" + std::to_string(receiver_port) +
      R"(/hook?src=emu"},{"channel_id":"2","events":["Leads.create"],
          "notify_url":"http://127.0.0.1:)" + std::to_string(dead_port) + R"(/down"}]})";
  auto res = cli.Post("/crm/v8/actions/watch", auth, watch, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;

  const auto t0 = std::chrono::steady_clock::now();
  res = cli.Post("/crm/v8/Leads", auth, R"({"data":[{"Last_Name":"L","Company":"C"}]})",
                 "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  rapidjson::Document created;
  created.Parse(res->body.c_str());
  const std::string id = created["data"][0]["details"]["id"].GetString();

  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !bodies.empty(); }));
    rapidjson::Document n;
    n.Parse(bodies[0].c_str());
    ASSERT_FALSE(n.HasParseError()) << bodies[0];
    EXPECT_STREQ(n["operation"].GetString(), "insert");
    EXPECT_STREQ(n["channel_id"].GetString(), "1000000068001");
    EXPECT_STREQ(n["token"].GetString(), "tok");
    EXPECT_STREQ(n["query_params"]["src"].GetString(), "emu");
    EXPECT_EQ(n["ids"][0].GetString(), id);
  }
  EXPECT_TRUE((*emu)->WaitForNotificationsForTesting(std::chrono::seconds(10)));
  rapidjson::Document stats;
  stats.Parse((*emu)->StatsJson().c_str());
  EXPECT_EQ(stats["notifications"]["sent"].GetInt(), 1);
  EXPECT_EQ(stats["notifications"]["failed"].GetInt(), 1);
  (*emu)->Stop();
  receiver.stop();
  receiver_thread.join();
}

}  // namespace
}  // namespace zcrmsync::emulator
