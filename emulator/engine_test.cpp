// Request-level tests of the emulator engine through Emulator::Handle (no
// sockets), with a fake clock.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "emulator/emulator.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::emulator {
namespace {

using ::zcrmsync::testing::FakeClock;
using ::zcrmsync::testing::IsOk;

struct Reply {
  int status = 0;
  rapidjson::Document json;
  std::string body;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(Options{}); }

  void Make(Options options) {
    options.clock = &clock_;
    auto e = Emulator::Create(options);
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    emu_ = std::move(*e);
    token_ = emu_->IssueTokenForTesting();
  }

  Reply Call(const std::string& method, const std::string& path, const std::string& query = "",
             const std::string& body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}, bool auth = true) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    req.headers = std::move(headers);
    if (auth) req.headers.emplace_back("Authorization", "Zoho-oauthtoken " + token_);
    HttpResponse r = emu_->Handle(req);
    Reply out;
    out.status = r.status;
    out.body = r.body;
    if (!r.body.empty()) out.json.Parse(r.body.c_str());
    return out;
  }

  // Inserts one record and returns its id.
  std::string Insert(const std::string& module, const std::string& record_json) {
    Reply r = Call("POST", "/crm/v8/" + module, "", R"({"data":[)" + record_json + "]}");
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return "";
    return r.json["data"][0]["details"]["id"].GetString();
  }

  Reply Token(const std::string& body, const std::string& content_type,
              const std::string& query = "") {
    HttpRequest req;
    req.method = "POST";
    req.path = "/oauth/v2/token";
    req.query = query;
    req.body = body;
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
    HttpResponse r = emu_->Handle(req);
    Reply out;
    out.status = r.status;
    out.body = r.body;
    out.json.Parse(r.body.c_str());
    return out;
  }

  Reply Coql(const std::string& query) {
    return Call("POST", "/crm/v8/coql", "", R"({"select_query":")" + query + R"("})");
  }

  FakeClock clock_;
  std::unique_ptr<Emulator> emu_;
  std::string token_;
};

constexpr const char* kGoodCreds =
    "client_id=zcrmsync-demo&client_secret=zcrmsync-demo-secret&"
    "refresh_token=zcrmsync-demo-refresh&grant_type=refresh_token";

// --- OAuth ----------------------------------------------------------------

TEST_F(EngineTest, TokenFromUrlencodedBody) {
  Reply r = Token(kGoodCreds, "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.json["access_token"].IsString());
  EXPECT_STREQ(r.json["token_type"].GetString(), "Bearer");
  EXPECT_EQ(r.json["expires_in"].GetInt(), 3600);
  EXPECT_STREQ(r.json["api_domain"].GetString(), "http://127.0.0.1:0");
  // The new token works.
  token_ = r.json["access_token"].GetString();
  EXPECT_EQ(Call("GET", "/crm/v8/org").status, 200);
}

TEST_F(EngineTest, TokenFromQueryAndMultipart) {
  EXPECT_TRUE(Token("", "", kGoodCreds).json.HasMember("access_token"));
  const std::string boundary = "----zcrmsyncBoundary";
  std::string body;
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"client_id", "zcrmsync-demo"},
           {"client_secret", "zcrmsync-demo-secret"},
           {"grant_type", "refresh_token"},
           {"refresh_token", "zcrmsync-demo-refresh"}}) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" +
            v + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  Reply r = Token(body, "multipart/form-data; boundary=" + boundary);
  EXPECT_TRUE(r.json.HasMember("access_token")) << r.body;
}

TEST_F(EngineTest, TokenBadCredentials) {
  Reply r = Token(
      "client_id=zcrmsync-demo&client_secret=wrong&refresh_token=zcrmsync-demo-refresh&"
      "grant_type=refresh_token",
      "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"error":"invalid_client"})");
  r = Token(
      "client_id=zcrmsync-demo&client_secret=zcrmsync-demo-secret&refresh_token=nope&"
      "grant_type=refresh_token",
      "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body, R"({"error":"invalid_code"})");
}

TEST_F(EngineTest, TokenThrottledAfterTenInTenMinutes) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Token(kGoodCreds, "application/x-www-form-urlencoded").json.HasMember("access_token"));
    clock_.Advance(std::chrono::seconds(30));
  }
  Reply r = Token(kGoodCreds, "application/x-www-form-urlencoded");
  EXPECT_FALSE(r.json.HasMember("access_token"));
  EXPECT_STREQ(r.json["error"].GetString(), "Access Denied");
  EXPECT_STREQ(r.json["status"].GetString(), "failure");
  clock_.Advance(std::chrono::seconds(330));  // the first issue leaves the window
  EXPECT_TRUE(Token(kGoodCreds, "application/x-www-form-urlencoded").json.HasMember("access_token"));
}

TEST_F(EngineTest, MissingUnknownAndExpiredTokensGet401) {
  const std::string expected =
      R"({"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"})";
  Reply r = Call("GET", "/crm/v8/Leads", "fields=Last_Name", "", {}, /*auth=*/false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, expected);
  r = Call("GET", "/crm/v8/Leads", "fields=Last_Name", "",
           {{"Authorization", "Zoho-oauthtoken 1000.bogus"}}, false);
  EXPECT_EQ(r.status, 401);
  r = Call("GET", "/crm/v8/Leads", "fields=Last_Name", "", {{"Authorization", "Bearer " + token_}},
           false);
  EXPECT_EQ(r.status, 401);
  clock_.Advance(std::chrono::seconds(3601));
  r = Call("GET", "/crm/v8/Leads", "fields=Last_Name");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, expected);
}

// --- Metadata -------------------------------------------------------------

TEST_F(EngineTest, ModulesFieldsUsersOrg) {
  Reply r = Call("GET", "/crm/v8/settings/modules");
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> names;
  for (const auto& m : r.json["modules"].GetArray()) names.emplace_back(m["api_name"].GetString());
  EXPECT_THAT(names, ::testing::ElementsAre("Accounts", "Contacts", "Leads", "Deals", "Products"));
  EXPECT_TRUE(r.json["modules"][0]["api_supported"].GetBool());

  r = Call("GET", "/crm/v8/settings/fields", "module=Leads");
  ASSERT_EQ(r.status, 200);
  bool saw_erp = false;
  bool saw_last = false;
  for (const auto& f : r.json["fields"].GetArray()) {
    std::string name = f["api_name"].GetString();
    if (name == "ERP_Id") {
      saw_erp = true;
      EXPECT_STREQ(f["data_type"].GetString(), "text");
      EXPECT_TRUE(f["custom_field"].GetBool());
      EXPECT_TRUE(f["unique"].HasMember("casesensitive"));
    }
    if (name == "Last_Name") {
      saw_last = true;
      EXPECT_TRUE(f["system_mandatory"].GetBool());
    }
    if (name == "Lead_Status") {
      EXPECT_GT(f["pick_list_values"].Size(), 3u);
    }
  }
  EXPECT_TRUE(saw_erp && saw_last);
  r = Call("GET", "/crm/v8/settings/fields", "module=Contacts");
  for (const auto& f : r.json["fields"].GetArray()) {
    if (std::string(f["api_name"].GetString()) == "Account_Name") {
      EXPECT_STREQ(f["lookup"]["module"]["api_name"].GetString(), "Accounts");
    }
  }
  EXPECT_EQ(Call("GET", "/crm/v8/settings/fields", "module=Nope").status, 400);
  EXPECT_EQ(Call("GET", "/crm/v8/settings/fields").status, 400);

  r = Call("GET", "/crm/v8/users", "type=CurrentUser");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["users"].Size(), 1u);
  EXPECT_TRUE(r.json["users"][0]["email"].IsString());
  EXPECT_FALSE(r.json["info"]["more_records"].GetBool());

  r = Call("GET", "/crm/v8/org");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.json["org"][0]["zgid"].IsString());
  EXPECT_STREQ(r.json["org"][0]["time_zone"].GetString(), "Asia/Kolkata");
}

TEST_F(EngineTest, CustomMetadata) {
  Options o;
  o.metadata_json = R"({"org":{"offset_minutes":0},"modules":[{"api_name":"Widgets",
    "display_field":"Name","fields":[{"api_name":"Name","data_type":"text","system_mandatory":true},
    {"api_name":"Serial","data_type":"bigint"},{"api_name":"Seen","data_type":"datetime"}]}]})";
  Make(o);
  Reply r = Call("POST", "/crm/v8/Widgets", "",
                 R"({"data":[{"Name":"a","Serial":"1234567890123456789","Seen":"2026-01-01T00:00:00Z"},
                             {"Name":"b","Serial":12.5},
                             {"Name":"c","Serial":"-9223372036854775807"},
                             {"Name":"d","Serial":"12345678901234567890"}]})");
  EXPECT_EQ(r.status, 207) << r.body;
  EXPECT_STREQ(r.json["data"][1]["code"].GetString(), "INVALID_DATA");
  EXPECT_STREQ(r.json["data"][2]["status"].GetString(), "success");  // a long integer is signed
  EXPECT_STREQ(r.json["data"][3]["code"].GetString(), "INVALID_DATA");  // 20 digits
  r = Call("GET", "/crm/v8/Widgets", "fields=Name,Serial,Seen");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["data"].Size(), 2u);
  for (const auto& rec : r.json["data"].GetArray()) {
    if (std::string(rec["Name"].GetString()) == "a") {
      EXPECT_STREQ(rec["Serial"].GetString(), "1234567890123456789");
      EXPECT_STREQ(rec["Seen"].GetString(), "2026-01-01T00:00:00+00:00");
    } else {
      EXPECT_STREQ(rec["Serial"].GetString(), "-9223372036854775807");
    }
  }
  EXPECT_FALSE(Emulator::Create(Options{.metadata_json = "{"}).has_value());
}

// --- Records --------------------------------------------------------------

TEST_F(EngineTest, InsertReturns201WithDetails) {
  Reply r = Call("POST", "/crm/v8/Leads", "",
                 R"({"data":[{"Last_Name":"Smith","Company":"Acme","Email":"s@acme.com"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& item = r.json["data"][0];
  EXPECT_STREQ(item["code"].GetString(), "SUCCESS");
  EXPECT_STREQ(item["status"].GetString(), "success");
  EXPECT_STREQ(item["message"].GetString(), "record added");
  std::string id = item["details"]["id"].GetString();
  EXPECT_EQ(id.size(), 19u);
  EXPECT_THAT(id, ::testing::MatchesRegex("[0-9]+"));
  EXPECT_THAT(item["details"]["Created_Time"].GetString(),
              ::testing::MatchesRegex("....-..-..T..:..:..\\+05:30"));
  EXPECT_TRUE(item["details"]["Created_By"]["id"].IsString());

  r = Call("GET", "/crm/v8/Leads/" + id);
  ASSERT_EQ(r.status, 200);
  const auto& rec = r.json["data"][0];
  EXPECT_STREQ(rec["Last_Name"].GetString(), "Smith");
  EXPECT_STREQ(rec["Full_Name"].GetString(), "Smith");
  EXPECT_STREQ(rec["Owner"]["email"].GetString(), "admin@zcrmsync.example");
  EXPECT_TRUE(rec["Modified_By"]["name"].IsString());
  EXPECT_TRUE(rec["Phone"].IsNull());
  EXPECT_EQ(Call("GET", "/crm/v8/Leads/1234567890123456789").status, 204);
}

TEST_F(EngineTest, InsertBodyWithoutContentTypeAndUnknownModule) {
  // Bodies are JSON whatever the Content-Type (the SDK sends none).
  Reply r = Call("POST", "/crm/v8/Accounts", "", R"({"data":[{"Account_Name":"A"}]})",
                 {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 201);
  r = Call("POST", "/crm/v8/Nope", "", R"({"data":[{"X":"A"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_MODULE");
  EXPECT_EQ(Call("POST", "/crm/v8/Leads", "", "not json").status, 400);
  EXPECT_EQ(Call("GET", "/crm/v8/Leads/x/y/z").status, 404);
}

TEST_F(EngineTest, WriteCountLimits) {
  std::string many = R"({"data":[)";
  for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + R"({"Account_Name":"A"})";
  many += "]}";
  Reply r = Call("POST", "/crm/v8/Accounts", "", many);
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "LIMIT_EXCEEDED");
  r = Call("POST", "/crm/v8/Accounts", "", R"({"data":[]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "REQUIRED_PARAM_MISSING");
}

TEST_F(EngineTest, ValidationErrorsPerField) {
  struct Case {
    std::string record;
    std::string code;
    std::string api_name;
  };
  const std::vector<Case> cases = {
      {R"({"Company":"A"})", "MANDATORY_NOT_FOUND", "Last_Name"},
      {R"({"Last_Name":"","Company":"A"})", "MANDATORY_NOT_FOUND", "Last_Name"},
      {R"({"Last_Name":")" + std::string(81, 'x') + R"(","Company":"A"})", "INVALID_DATA",
       "Last_Name"},
      {R"({"Last_Name":"L","Company":"A","Email":"not-an-email"})", "INVALID_DATA", "Email"},
      {R"({"Last_Name":"L","Company":"A","Phone":"call me"})", "INVALID_DATA", "Phone"},
      {R"({"Last_Name":"L","Company":"A","Website":"a b"})", "INVALID_DATA", "Website"},
      {R"({"Last_Name":"L","Company":"A","No_of_Employees":"12"})", "INVALID_DATA",
       "No_of_Employees"},
      {R"({"Last_Name":"L","Company":"A","No_of_Employees":1.5})", "INVALID_DATA",
       "No_of_Employees"},
      {R"({"Last_Name":"L","Company":"A","Annual_Revenue":"10"})", "INVALID_DATA",
       "Annual_Revenue"},
      {R"({"Last_Name":"L","Company":"A","Email_Opt_Out":"yes"})", "INVALID_DATA",
       "Email_Opt_Out"},
      {R"({"Last_Name":"L","Company":"A","Lead_Status":"Bogus"})", "INVALID_DATA", "Lead_Status"},
  };
  for (const Case& c : cases) {
    Reply r = Call("POST", "/crm/v8/Leads", "", R"({"data":[)" + c.record + "]}");
    ASSERT_EQ(r.status, 400) << c.record << " -> " << r.body;
    const auto& item = r.json["data"][0];
    EXPECT_STREQ(item["code"].GetString(), c.code.c_str()) << c.record;
    EXPECT_STREQ(item["status"].GetString(), "error");
    EXPECT_EQ(item["details"]["api_name"].GetString(), c.api_name) << c.record;
    EXPECT_EQ(item["details"]["json_path"].GetString(), "$.data[0]." + c.api_name);
  }
  // Dates, multiselect, lookups.
  Reply r = Call("POST", "/crm/v8/Products", "",
                 R"({"data":[{"Product_Name":"P","Sales_Start_Date":"2026-02-30"},
                             {"Product_Name":"P2","Tax":["Vat","Nope"]},
                             {"Product_Name":"P3","Tax":["Vat"],"Sales_Start_Date":"2026-02-28",
                              "Product_Active":true,"Unit_Price":12.5}]})");
  EXPECT_EQ(r.status, 207);
  EXPECT_STREQ(r.json["data"][0]["details"]["api_name"].GetString(), "Sales_Start_Date");
  EXPECT_STREQ(r.json["data"][1]["details"]["api_name"].GetString(), "Tax");
  EXPECT_STREQ(r.json["data"][2]["code"].GetString(), "SUCCESS");
  r = Call("POST", "/crm/v8/Contacts", "",
           R"({"data":[{"Last_Name":"C","Account_Name":{"id":"1111111111111111111"}}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["data"][0]["details"]["api_name"].GetString(), "Account_Name");
  std::string account = Insert("Accounts", R"({"Account_Name":"Acme"})");
  std::string contact = Insert("Contacts", R"({"Last_Name":"C","Account_Name":{"id":")" + account + R"("}})");
  r = Call("GET", "/crm/v8/Contacts/" + contact);
  EXPECT_STREQ(r.json["data"][0]["Account_Name"]["name"].GetString(), "Acme");
  EXPECT_EQ(r.json["data"][0]["Account_Name"]["id"].GetString(), account);
}

TEST_F(EngineTest, DuplicateDataOnUniqueField) {
  std::string first = Insert("Leads", R"({"Last_Name":"A","Company":"C","ERP_Id":"E-1"})");
  Reply r = Call("POST", "/crm/v8/Leads", "",
                 R"({"data":[{"Last_Name":"B","Company":"C","ERP_Id":"e-1"},
                             {"Last_Name":"D","Company":"C","ERP_Id":"E-2"},
                             {"Last_Name":"F","Company":"C","ERP_Id":"E-2"}]})");
  EXPECT_EQ(r.status, 207);
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "DUPLICATE_DATA");
  EXPECT_EQ(r.json["data"][0]["details"]["duplicate_record"]["id"].GetString(), first);
  EXPECT_STREQ(r.json["data"][1]["code"].GetString(), "SUCCESS");
  EXPECT_STREQ(r.json["data"][2]["code"].GetString(), "DUPLICATE_DATA");
}

// Unique checks and upsert matching use per-field indexes; every kind of
// change must keep them current (issue #3, part 1b).
TEST_F(EngineTest, UniqueIndexFollowsEveryChange) {
  auto code = [](const Reply& r) { return std::string(r.json["data"][0]["code"].GetString()); };
  auto insert = [&](const std::string& erp) {
    return Call("POST", "/crm/v8/Leads", "",
                R"({"data":[{"Last_Name":"L","Company":"C","ERP_Id":")" + erp + R"("}]})");
  };
  auto upsert = [&](const std::string& erp, const std::string& name) {
    return Call("POST", "/crm/v8/Leads/upsert", "",
                R"({"duplicate_check_fields":["ERP_Id"],"data":[{"Last_Name":")" + name +
                    R"(","Company":"C","ERP_Id":")" + erp + R"("}]})");
  };
  std::string a = Insert("Leads", R"({"Last_Name":"A","Company":"C","ERP_Id":"K-1"})");
  // Index built lazily on first check; case-insensitive.
  Reply r = insert("k-1");
  EXPECT_EQ(code(r), "DUPLICATE_DATA");
  EXPECT_EQ(r.json["data"][0]["details"]["duplicate_record"]["id"].GetString(), a);
  // Update moves A's value: the old one is free, the new one taken.
  r = Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"ERP_Id":"K-2"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = insert("K-1");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string b = r.json["data"][0]["details"]["id"].GetString();
  EXPECT_EQ(code(insert("k-2")), "DUPLICATE_DATA");
  // Re-sending a record's own value is no duplicate.
  EXPECT_EQ(Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"ERP_Id":"k-2"}]})").status, 200);
  // Delete frees the value.
  EXPECT_EQ(Call("DELETE", "/crm/v8/Leads/" + a).status, 200);
  r = insert("K-2");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string c = r.json["data"][0]["details"]["id"].GetString();
  // Upsert finds by the index, case-insensitively, and its insert is indexed.
  r = upsert("K-1", "B2");
  EXPECT_STREQ(r.json["data"][0]["action"].GetString(), "update");
  EXPECT_EQ(r.json["data"][0]["details"]["id"].GetString(), b);
  r = upsert("K-3", "D");
  EXPECT_STREQ(r.json["data"][0]["action"].GetString(), "insert");
  std::string d = r.json["data"][0]["details"]["id"].GetString();
  EXPECT_EQ(upsert("k-3", "D2").json["data"][0]["details"]["id"].GetString(), d);
  // Upsert that changes the matched record's value through another field.
  r = Call("POST", "/crm/v8/Leads/upsert", "",
           R"({"duplicate_check_fields":["Email"],"data":[{"Last_Name":"E","Company":"C",
               "Email":"e@x.io","ERP_Id":"K-4"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("POST", "/crm/v8/Leads/upsert", "",
           R"({"duplicate_check_fields":["Email"],"data":[{"Email":"E@X.io","ERP_Id":"K-5"}]})");
  std::string e = r.json["data"][0]["details"]["id"].GetString();
  EXPECT_STREQ(r.json["data"][0]["action"].GetString(), "update");
  EXPECT_EQ(upsert("k-5", "E2").json["data"][0]["details"]["id"].GetString(), e);
  EXPECT_EQ(code(insert("K-4")), "SUCCESS");
  // State import replaces the indexes with the imported records.
  std::string state = emu_->ExportState();
  rapidjson::Document doc;
  doc.Parse(state.c_str());
  for (auto& rec : doc["modules"]["Leads"]["records"].GetArray()) {
    if (rec["id"].GetString() == c) rec["fields"]["ERP_Id"].SetString("Z-9");
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  ASSERT_THAT(emu_->ImportState(buf.GetString()), IsOk());
  EXPECT_EQ(code(insert("k-2")), "SUCCESS");
  EXPECT_EQ(upsert("z-9", "C2").json["data"][0]["details"]["id"].GetString(), c);
  EXPECT_EQ(code(insert("Z-9")), "DUPLICATE_DATA");
}

TEST_F(EngineTest, UpdateBulkAndSingle) {
  std::string a = Insert("Leads", R"({"Last_Name":"A","Company":"C"})");
  std::string b = Insert("Leads", R"({"Last_Name":"B","Company":"C"})");
  clock_.Advance(std::chrono::seconds(10));
  Reply r = Call("PUT", "/crm/v8/Leads", "",
                 R"({"data":[{"id":")" + a + R"(","City":"Pune"},{"id":")" + b + R"(","City":"Goa"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["data"][1]["message"].GetString(), "record updated");
  EXPECT_STRNE(r.json["data"][0]["details"]["Created_Time"].GetString(),
               r.json["data"][0]["details"]["Modified_Time"].GetString());
  r = Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"City":"Delhi"}]})");
  ASSERT_EQ(r.status, 200);
  r = Call("GET", "/crm/v8/Leads/" + a);
  EXPECT_STREQ(r.json["data"][0]["City"].GetString(), "Delhi");
  EXPECT_STREQ(r.json["data"][0]["Last_Name"].GetString(), "A");  // untouched
  // Missing id, unknown id, mixed.
  r = Call("PUT", "/crm/v8/Leads", "",
           R"({"data":[{"City":"X"},{"id":"1111111111111111111","City":"X"},{"id":")" + a + R"("}]})");
  EXPECT_EQ(r.status, 207);
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "MANDATORY_NOT_FOUND");
  EXPECT_STREQ(r.json["data"][1]["code"].GetString(), "INVALID_DATA");
  EXPECT_STREQ(r.json["data"][2]["code"].GetString(), "SUCCESS");
  r = Call("PUT", "/crm/v8/Leads", "", R"({"data":[{"id":")" + a + R"(","Last_Name":null}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "MANDATORY_NOT_FOUND");
}

TEST_F(EngineTest, IfUnmodifiedSinceGives412) {
  std::string a = Insert("Leads", R"({"Last_Name":"A","Company":"C"})");
  Reply got = Call("GET", "/crm/v8/Leads/" + a);
  std::string seen = got.json["data"][0]["Modified_Time"].GetString();
  clock_.Advance(std::chrono::seconds(5));
  // Someone else changes it.
  ASSERT_EQ(Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"City":"X"}]})").status, 200);
  Reply r = Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"City":"Y"}]})",
                 {{"If-Unmodified-Since", seen}});
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "ALREADY_MODIFIED");
  EXPECT_STREQ(r.json["data"][0]["message"].GetString(),
               "record updated time has already passed if-unmodified-since time");
  EXPECT_TRUE(r.json["data"][0]["details"]["Created_By"].IsObject());
  EXPECT_TRUE(r.json["data"][0]["details"]["Modified_Time"].IsString());
  std::string current = r.json["data"][0]["details"]["Modified_Time"].GetString();
  r = Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"City":"Y"}]})",
           {{"If-Unmodified-Since", current}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(EngineTest, UpsertInsertsAndUpdates) {
  std::string a = Insert("Contacts", R"({"Last_Name":"A","ERP_Id":"C-1"})");
  Reply r = Call("POST", "/crm/v8/Contacts/upsert", "",
                 R"({"duplicate_check_fields":["ERP_Id"],"data":[
                     {"Last_Name":"A2","ERP_Id":"C-1"},{"Last_Name":"B","ERP_Id":"C-2"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["data"][0]["action"].GetString(), "update");
  EXPECT_STREQ(r.json["data"][0]["duplicate_field"].GetString(), "ERP_Id");
  EXPECT_EQ(r.json["data"][0]["details"]["id"].GetString(), a);
  EXPECT_STREQ(r.json["data"][1]["action"].GetString(), "insert");
  EXPECT_TRUE(r.json["data"][1]["duplicate_field"].IsNull());
  EXPECT_STREQ(r.json["data"][1]["message"].GetString(), "record added");
  // Default duplicate check: Email first for Contacts.
  Insert("Contacts", R"({"Last_Name":"M","Email":"m@x.io"})");
  r = Call("POST", "/crm/v8/Contacts/upsert", "", R"({"data":[{"Last_Name":"M2","Email":"M@x.io"}]})");
  EXPECT_STREQ(r.json["data"][0]["duplicate_field"].GetString(), "Email");
  r = Call("POST", "/crm/v8/Contacts/upsert", "", R"({"duplicate_check_fields":["Nope"],"data":[{"Last_Name":"x"}]})");
  EXPECT_EQ(r.status, 400);
  r = Call("GET", "/crm/v8/Contacts", "fields=Last_Name&sort_order=asc");
  EXPECT_EQ(r.json["info"]["count"].GetInt(), 3);
  EXPECT_STREQ(r.json["data"][0]["Last_Name"].GetString(), "A2");
}

TEST_F(EngineTest, DeleteAndDeletedList) {
  std::string a = Insert("Deals", R"({"Deal_Name":"D1","Stage":"Qualification","Closing_Date":"2026-12-01"})");
  std::string b = Insert("Deals", R"({"Deal_Name":"D2","Stage":"Closed Won","Closing_Date":"2026-12-01"})");
  Reply r = Call("DELETE", "/crm/v8/Deals", "ids=" + a + ",1111111111111111111");
  EXPECT_EQ(r.status, 207);
  EXPECT_STREQ(r.json["data"][0]["message"].GetString(), "record deleted");
  EXPECT_EQ(r.json["data"][0]["details"]["id"].GetString(), a);
  EXPECT_STREQ(r.json["data"][1]["code"].GetString(), "INVALID_DATA");
  EXPECT_EQ(Call("DELETE", "/crm/v8/Deals/" + b).status, 200);
  EXPECT_EQ(Call("DELETE", "/crm/v8/Deals").status, 400);
  r = Call("GET", "/crm/v8/Deals/deleted", "type=recycle");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["data"].Size(), 2u);
  EXPECT_EQ(r.json["data"][0]["id"].GetString(), b);  // newest first
  EXPECT_STREQ(r.json["data"][0]["display_name"].GetString(), "D2");
  EXPECT_STREQ(r.json["data"][0]["type"].GetString(), "recycle");
  EXPECT_TRUE(r.json["data"][0]["deleted_by"]["id"].IsString());
  EXPECT_FALSE(r.json["info"]["more_records"].GetBool());
  EXPECT_EQ(Call("GET", "/crm/v8/Deals/deleted", "type=permanent").status, 204);
  EXPECT_EQ(Call("GET", "/crm/v8/Deals/deleted", "type=bogus").status, 400);
  EXPECT_EQ(Call("GET", "/crm/v8/Deals", "fields=Deal_Name").status, 204);
}

TEST_F(EngineTest, ListRequiresFieldsAndChecksParams) {
  Reply r = Call("GET", "/crm/v8/Leads");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "REQUIRED_PARAM_MISSING");
  std::string fields = "fields=";
  for (int i = 0; i < 51; ++i) fields += std::string(i ? "," : "") + "Last_Name";
  r = Call("GET", "/crm/v8/Leads", fields);
  EXPECT_STREQ(r.json["code"].GetString(), "LIMIT_EXCEEDED");
  EXPECT_EQ(Call("GET", "/crm/v8/Leads", "fields=Last_Name&per_page=201").status, 400);
  EXPECT_EQ(Call("GET", "/crm/v8/Leads", "fields=Last_Name&sort_by=Email").status, 400);
  EXPECT_EQ(Call("GET", "/crm/v8/Leads", "fields=Last_Name").status, 204);  // empty module
}

TEST_F(EngineTest, ListInfoBlockAndSorting) {
  for (int i = 0; i < 3; ++i) {
    Insert("Leads", R"({"Last_Name":"L)" + std::to_string(i) + R"(","Company":"C"})");
    clock_.Advance(std::chrono::seconds(1));
  }
  // Unescaped '+' and ',' in the query, and a trailing '&', as the SDK sends.
  Reply r = Call("GET", "/crm/v8/Leads", "fields=Last_Name,Company&per_page=2&");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& info = r.json["info"];
  EXPECT_EQ(info["per_page"].GetInt(), 2);
  EXPECT_EQ(info["count"].GetInt(), 2);
  EXPECT_EQ(info["page"].GetInt(), 1);
  EXPECT_TRUE(info["more_records"].GetBool());
  EXPECT_STREQ(info["sort_by"].GetString(), "id");
  EXPECT_STREQ(info["sort_order"].GetString(), "desc");
  EXPECT_TRUE(info["next_page_token"].IsString());
  EXPECT_TRUE(info["previous_page_token"].IsNull());
  EXPECT_TRUE(info["page_token_expiry"].IsString());
  EXPECT_FALSE(info["email"].GetBool());
  EXPECT_FALSE(info["call"].GetBool());
  EXPECT_STREQ(r.json["data"][0]["Last_Name"].GetString(), "L2");  // id desc
  EXPECT_TRUE(r.json["data"][0]["id"].IsString());
  EXPECT_FALSE(r.json["data"][0].HasMember("Email"));
  r = Call("GET", "/crm/v8/Leads", "fields=Last_Name&sort_by=Created_Time&sort_order=asc&page=2&per_page=2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["data"].Size(), 1u);
  EXPECT_STREQ(r.json["data"][0]["Last_Name"].GetString(), "L2");
  EXPECT_FALSE(r.json["info"]["more_records"].GetBool());
  EXPECT_TRUE(r.json["info"]["next_page_token"].IsNull());
}

TEST_F(EngineTest, IfModifiedSince304And204) {
  EXPECT_EQ(Call("GET", "/crm/v8/Leads", "fields=Last_Name", "",
                 {{"If-Modified-Since", "2020-01-01T00:00:00Z"}}).status, 204);
  std::string a = Insert("Leads", R"({"Last_Name":"A","Company":"C"})");
  Reply got = Call("GET", "/crm/v8/Leads/" + a);
  std::string t = got.json["data"][0]["Modified_Time"].GetString();
  Reply r = Call("GET", "/crm/v8/Leads", "fields=Last_Name", "", {{"If-Modified-Since", t}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  clock_.Advance(std::chrono::seconds(2));
  Call("PUT", "/crm/v8/Leads/" + a, "", R"({"data":[{"City":"X"}]})");
  r = Call("GET", "/crm/v8/Leads", "fields=City", "", {{"If-Modified-Since", t}});
  EXPECT_EQ(r.status, 200);
  EXPECT_STREQ(r.json["data"][0]["City"].GetString(), "X");
  // UTC 'Z' form, as the SDK sends it.
  r = Call("GET", "/crm/v8/Leads", "fields=City", "", {{"If-Modified-Since", "2000-01-01T00:00:00Z"}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(EngineTest, PagingLimitAndPageToken) {
  // 2,100 records via state import (fast), then page through them.
  std::string state = R"({"version":1,"modules":{"Accounts":{"records":[)";
  for (int i = 0; i < 2100; ++i) {
    state += std::string(i ? "," : "") + R"({"id":")" + std::to_string(5725767000002000000LL + i) +
             R"(","created":1767225600,"modified":1767225600,"fields":{"Account_Name":"A)" +
             std::to_string(i) + R"("}})";
  }
  state += "]}}}";
  ASSERT_THAT(emu_->ImportState(state), IsOk());
  Reply r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name&page=10&per_page=200");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.json["info"]["more_records"].GetBool());
  std::string token = r.json["info"]["next_page_token"].GetString();
  r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name&page=11&per_page=200");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "DISCRETE_PAGINATION_LIMIT_EXCEEDED");
  EXPECT_EQ(r.json["details"]["limit"].GetInt(), 2000);
  r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name&per_page=200&page_token=" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["info"]["count"].GetInt(), 100);
  EXPECT_FALSE(r.json["info"]["more_records"].GetBool());
  EXPECT_STREQ(r.json["data"][99]["Account_Name"].GetString(), "A0");
  // Bound to its parameters, and not combinable with page.
  r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name,Phone&per_page=200&page_token=" + token);
  EXPECT_STREQ(r.json["code"].GetString(), "TOKEN_BOUND_DATA_MISMATCH");
  EXPECT_EQ(Call("GET", "/crm/v8/Accounts",
                 "fields=Account_Name&per_page=200&page=1&page_token=" + token).status, 400);
  clock_.Advance(std::chrono::hours(25));
  token_ = emu_->IssueTokenForTesting();
  r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name&per_page=200&page_token=" + token);
  EXPECT_STREQ(r.json["code"].GetString(), "EXPIRED_VALUE");
}

// --- COQL -----------------------------------------------------------------

class CoqlEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    acme_ = Insert("Accounts", R"({"Account_Name":"Acme","Employees":50})");
    Insert("Leads", R"({"Last_Name":"Alpha","Company":"C1","Email":"a@x.com","No_of_Employees":10,"Lead_Source":"Partner"})");
    clock_.Advance(std::chrono::seconds(60));
    Insert("Leads", R"({"Last_Name":"Beta","Company":"C2","Email":"b@y.com","No_of_Employees":20,"Lead_Source":"Chat"})");
    clock_.Advance(std::chrono::seconds(60));
    Insert("Leads", R"({"Last_Name":"Gamma","Company":"C3","No_of_Employees":30,"Email_Opt_Out":true})");
    Insert("Contacts", R"({"Last_Name":"K","Account_Name":{"id":")" + acme_ + R"("}})");
  }
  std::vector<std::string> Names(const Reply& r) {
    std::vector<std::string> out;
    if (r.status != 200) return out;
    for (const auto& d : r.json["data"].GetArray()) out.emplace_back(d["Last_Name"].GetString());
    return out;
  }
  std::string acme_;
};

TEST_F(CoqlEngineTest, Operators) {
  using ::testing::ElementsAre;
  auto q = [&](const std::string& where) {
    return Names(Coql("select Last_Name from Leads where " + where + " order by Last_Name"));
  };
  EXPECT_THAT(q("Last_Name = 'beta'"), ElementsAre("Beta"));  // case-insensitive
  EXPECT_THAT(q("Last_Name != 'Beta'"), ElementsAre("Alpha", "Gamma"));
  EXPECT_THAT(q("No_of_Employees > 10"), ElementsAre("Beta", "Gamma"));
  EXPECT_THAT(q("No_of_Employees >= 20 and No_of_Employees <= 20"), ElementsAre("Beta"));
  EXPECT_THAT(q("No_of_Employees < 20"), ElementsAre("Alpha"));
  EXPECT_THAT(q("No_of_Employees between 15 and 35"), ElementsAre("Beta", "Gamma"));
  EXPECT_THAT(q("No_of_Employees not between 15 and 35"), ElementsAre("Alpha"));
  EXPECT_THAT(q("Lead_Source in ('Partner', 'Chat')"), ElementsAre("Alpha", "Beta"));
  EXPECT_THAT(q("Last_Name not in ('Alpha')"), ElementsAre("Beta", "Gamma"));
  EXPECT_THAT(q("Email like '%@x.com'"), ElementsAre("Alpha"));
  EXPECT_THAT(q("Email not like '%x%'"), ElementsAre("Beta"));
  EXPECT_THAT(q("Email is null"), ElementsAre("Gamma"));
  EXPECT_THAT(q("Email is not null"), ElementsAre("Alpha", "Beta"));
  EXPECT_THAT(q("(Last_Name = 'Alpha' or Last_Name = 'Gamma') and Email is null"),
              ElementsAre("Gamma"));
  EXPECT_THAT(q("Email_Opt_Out = true"), ElementsAre("Gamma"));
  // Datetime literals with any offset.
  Reply all = Coql("select Last_Name, Created_Time from Leads order by Created_Time limit 3");
  ASSERT_EQ(all.status, 200) << all.body;
  std::string second = all.json["data"][1]["Created_Time"].GetString();
  EXPECT_THAT(q("Created_Time >= '" + second + "'"), ElementsAre("Beta", "Gamma"));
  EXPECT_THAT(q("Created_Time < '2026-01-01T00:00:00Z'"), ElementsAre());
}

TEST_F(CoqlEngineTest, ResultShapeLimitOffsetAndLookups) {
  Reply r = Coql("select Last_Name, Email from Leads order by Last_Name desc limit 1, 1");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(Names(r), ::testing::ElementsAre("Beta"));
  EXPECT_TRUE(r.json["data"][0]["id"].IsString());
  EXPECT_EQ(r.json["info"]["count"].GetInt(), 1);
  EXPECT_TRUE(r.json["info"]["more_records"].GetBool());
  r = Coql("select Last_Name, Account_Name, Account_Name.Account_Name from Contacts where Account_Name = '" + acme_ + "'");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["data"][0]["Account_Name"]["id"].GetString(), acme_);
  EXPECT_STREQ(r.json["data"][0]["Account_Name.Account_Name"].GetString(), "Acme");
  r = Coql("select Last_Name from Contacts where Account_Name.Employees > 40");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Coql("select Last_Name from Leads where Last_Name = 'Nobody'").status, 204);
}

TEST_F(CoqlEngineTest, IdsCompareAsNumbers) {
  ASSERT_THAT(emu_->ImportState(R"({"modules": {"Accounts": {"records": [
      {"id": "9", "fields": {"Account_Name": "Nine"}},
      {"id": "10", "fields": {"Account_Name": "Ten"}},
      {"id": "100", "fields": {"Account_Name": "Hundred"}}]}}})"),
              ::zcrmsync::testing::IsOk());
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    Reply r = Coql(query);
    if (r.status != 200) return out;
    for (const auto& d : r.json["data"].GetArray()) out.emplace_back(d["Account_Name"].GetString());
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(names("select Account_Name from Accounts where id > '9' order by id asc"),
              ElementsAre("Ten", "Hundred"));
  EXPECT_THAT(names("select Account_Name from Accounts where id is not null order by id desc"),
              ElementsAre("Hundred", "Ten", "Nine"));
}

TEST_F(CoqlEngineTest, Errors) {
  Reply r = Coql("select Last_Name from Leads wher Last_Name = 'x'");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "SYNTAX_ERROR");
  EXPECT_STREQ(r.json["details"]["near"].GetString(), "wher");
  r = Coql("select Nope from Leads");
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_QUERY");
  EXPECT_STREQ(r.json["details"]["column_name"].GetString(), "Nope");
  r = Coql("select Last_Name from Leads where No_of_Employees = 'many'");
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_QUERY");
  EXPECT_STREQ(r.json["message"].GetString(), "value given seems to be invalid for the column");
  r = Coql("select Last_Name from Leads where Created_Time > '2026-13-01T00:00:00Z'");
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_QUERY");
  r = Coql("select Last_Name from Leads limit 2001");
  EXPECT_STREQ(r.json["code"].GetString(), "LIMIT_EXCEEDED");
  r = Coql("select Last_Name from Nowhere");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_QUERY");
  EXPECT_EQ(Call("POST", "/crm/v8/coql", "", "{}").status, 400);
}

// --- Limits and faults ----------------------------------------------------

TEST_F(EngineTest, CreditsBudgetRolls24h) {
  Options o;
  o.credits = 5;
  o.admin = true;
  Make(o);
  // Insert of 11 records costs 2; /deleted costs 2; a list costs 1.
  std::string eleven = R"({"data":[)";
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? "," : "") + R"({"Account_Name":"A)" + std::to_string(i) + R"("})";
  eleven += "]}";
  EXPECT_EQ(Call("POST", "/crm/v8/Accounts", "", eleven).status, 201);
  EXPECT_EQ(Call("GET", "/crm/v8/Accounts/deleted").status, 204);
  EXPECT_EQ(Call("GET", "/crm/v8/Accounts", "fields=Account_Name").status, 200);
  Reply r = Call("GET", "/crm/v8/Accounts", "fields=Account_Name");
  EXPECT_EQ(r.status, 429);
  EXPECT_STREQ(r.json["code"].GetString(), "TOO_MANY_REQUESTS");
  EXPECT_STREQ(r.json["status"].GetString(), "error");
  clock_.Advance(std::chrono::hours(24));
  token_ = emu_->IssueTokenForTesting();
  EXPECT_EQ(Call("GET", "/crm/v8/Accounts", "fields=Account_Name").status, 200);
  Reply stats = Call("GET", "/__admin/stats");
  ASSERT_EQ(stats.status, 200);
  EXPECT_EQ(stats.json["too_many_requests"].GetInt(), 1);
  EXPECT_EQ(stats.json["records"]["Accounts"].GetInt(), 11);
  EXPECT_EQ(stats.json["calls"]["GET /crm/v8/Accounts"].GetInt(), 3);
  EXPECT_EQ(stats.json["calls"]["POST /crm/v8/Accounts"].GetInt(), 1);
  EXPECT_EQ(stats.json["credits_used"].GetInt(), 1);
  EXPECT_EQ(stats.json["credits_used_total"].GetInt(), 6);
}

TEST(EngineConcurrencyTest, ConcurrencyCapGives429) {
  // Real clock: each call sleeps 300 ms, so 8 parallel calls overlap.
  Options o;
  o.concurrency = 3;
  o.latency_ms = 300;
  o.admin = true;
  auto emu = Emulator::Create(o);
  ASSERT_TRUE(emu.has_value());
  std::string token = (*emu)->IssueTokenForTesting();
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      HttpRequest req{"GET", "/crm/v8/org", "", {{"Authorization", "Zoho-oauthtoken " + token}}, "", {}};
      int status = (*emu)->Handle(req).status;
      if (status == 200) ++ok;
      if (status == 429) ++limited;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok + limited, 8);
  EXPECT_GE(limited.load(), 1);
  EXPECT_LE(ok.load(), 8);
  HttpResponse stats = (*emu)->Handle(HttpRequest{"GET", "/__admin/stats", "", {}, "", {}});
  rapidjson::Document d;
  d.Parse(stats.body.c_str());
  EXPECT_GE(d["max_concurrency"].GetInt(), 4);
  EXPECT_EQ(d["too_many_requests"].GetInt(), limited.load());
}

TEST_F(EngineTest, FaultsAndAdminConfig) {
  Options o;
  o.admin = true;
  Make(o);
  Reply cfg = Call("POST", "/__admin/config", "", R"({"fault_500":1.0,"latency_ms":250})");
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  EXPECT_EQ(cfg.json["latency_ms"].GetInt(), 250);
  auto before = clock_.total_slept();
  Reply r = Call("GET", "/crm/v8/org");
  EXPECT_EQ(r.status, 500);
  EXPECT_STREQ(r.json["code"].GetString(), "INTERNAL_ERROR");
  EXPECT_EQ(clock_.total_slept() - before, std::chrono::milliseconds(250));
  Call("POST", "/__admin/config", "", R"({"fault_500":0,"fault_drop":1})");
  HttpRequest req{"GET", "/crm/v8/org", "", {{"Authorization", "Zoho-oauthtoken " + token_}}, "", {}};
  EXPECT_TRUE(emu_->Handle(req).drop_connection);
  // A 429 storm answers at once, before any latency or work.
  cfg = Call("POST", "/__admin/config", "", R"({"fault_drop":0,"fault_429":1.0})");
  EXPECT_EQ(cfg.json["fault_429"].GetDouble(), 1.0);
  before = clock_.total_slept();
  r = Call("GET", "/crm/v8/org");
  EXPECT_EQ(r.status, 429);
  EXPECT_STREQ(r.json["code"].GetString(), "TOO_MANY_REQUESTS");
  EXPECT_EQ(clock_.total_slept(), before);
  EXPECT_EQ(Call("GET", "/__admin/stats").json["too_many_requests"].GetInt(), 1);
  Call("POST", "/__admin/config", "", R"({"fault_429":0})");
  EXPECT_EQ(Call("GET", "/crm/v8/org").status, 200);
  EXPECT_EQ(Call("POST", "/__admin/config", "", R"({"bogus":1})").status, 400);
  // Without --admin the endpoints do not exist.
  Make(Options{});
  EXPECT_EQ(Call("GET", "/__admin/stats").status, 404);
}

// Zoho's record locking: a write to a locked record (an update, an upsert
// that matches it, a delete) answers the per-record error RECORD_LOCKED, and
// the other records of the call go through.
TEST_F(EngineTest, LockedRecordsAnswerRecordLockedPerRecord) {
  Options o;
  o.admin = true;
  Make(o);
  const std::string a = Insert("Accounts", R"({"Account_Name":"A","ERP_Id":"1"})");
  const std::string b = Insert("Accounts", R"({"Account_Name":"B","ERP_Id":"2"})");
  Reply cfg = Call("POST", "/__admin/config", "", R"({"locked_ids":[")" + a + R"("]})");
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  ASSERT_EQ(cfg.json["locked_ids"].Size(), 1u);
  EXPECT_EQ(std::string(cfg.json["locked_ids"][0].GetString()), a);

  Reply r = Call("PUT", "/crm/v8/Accounts", "",
                 R"({"data":[{"id":")" + a + R"(","Account_Name":"A2"},{"id":")" + b +
                     R"(","Account_Name":"B2"}]})");
  EXPECT_EQ(r.status, 207) << r.body;
  const auto& locked = r.json["data"][0];
  EXPECT_STREQ(locked["code"].GetString(), "RECORD_LOCKED");
  EXPECT_STREQ(locked["status"].GetString(), "error");
  EXPECT_TRUE(locked["message"].IsString());
  EXPECT_EQ(std::string(locked["details"]["id"].GetString()), a);
  EXPECT_STREQ(r.json["data"][1]["status"].GetString(), "success");

  r = Call("POST", "/crm/v8/Accounts/upsert", "", R"({"data":[{"Account_Name":"A3","ERP_Id":"1"}]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "RECORD_LOCKED");
  r = Call("DELETE", "/crm/v8/Accounts", "ids=" + a);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "RECORD_LOCKED");
  EXPECT_EQ(std::string(r.json["data"][0]["details"]["id"].GetString()), a);
  r = Call("GET", "/crm/v8/Accounts/" + a);
  ASSERT_EQ(r.status, 200);
  EXPECT_STREQ(r.json["data"][0]["Account_Name"].GetString(), "A");

  // Unlocked, the same write goes through.
  ASSERT_EQ(Call("POST", "/__admin/config", "", R"({"locked_ids":[]})").status, 200);
  r = Call("PUT", "/crm/v8/Accounts/" + a, "", R"({"data":[{"Account_Name":"A4"}]})");
  EXPECT_EQ(r.status, 200) << r.body;

  // fault_locked: a share of record writes; reads and inserts are not writes to a record.
  ASSERT_EQ(Call("POST", "/__admin/config", "", R"({"fault_locked":1.0})").status, 200);
  r = Call("PUT", "/crm/v8/Accounts/" + b, "", R"({"data":[{"Account_Name":"B3"}]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(r.json["data"][0]["code"].GetString(), "RECORD_LOCKED");
  EXPECT_EQ(Call("GET", "/crm/v8/Accounts/" + b).status, 200);
  Insert("Accounts", R"({"Account_Name":"C","ERP_Id":"3"})");
  ASSERT_EQ(Call("POST", "/__admin/config", "", R"({"fault_locked":0})").status, 200);
  EXPECT_EQ(Call("PUT", "/crm/v8/Accounts/" + b, "", R"({"data":[{"Account_Name":"B4"}]})").status, 200);

  EXPECT_EQ(Call("POST", "/__admin/config", "", R"({"locked_ids":["abc"]})").status, 400);
  EXPECT_EQ(Call("POST", "/__admin/config", "", R"({"fault_locked":2})").status, 400);
}

TEST_F(EngineTest, StateExportImportRoundTrip) {
  std::string a = Insert("Leads", R"({"Last_Name":"A","Company":"C","ERP_Id":"X1"})");
  Call("DELETE", "/crm/v8/Leads", "ids=" + Insert("Leads", R"({"Last_Name":"B","Company":"C"})"));
  std::string state = emu_->ExportState();
  Make(Options{});
  ASSERT_THAT(emu_->ImportState(state), IsOk());
  Reply r = Call("GET", "/crm/v8/Leads/" + a);
  ASSERT_EQ(r.status, 200);
  EXPECT_STREQ(r.json["data"][0]["ERP_Id"].GetString(), "X1");
  EXPECT_EQ(Call("GET", "/crm/v8/Leads/deleted").json["data"].Size(), 1u);
  // New ids continue after the imported ones; uniqueness survives import.
  std::string c = Insert("Leads", R"({"Last_Name":"C","Company":"C"})");
  EXPECT_GT(c, a);
  EXPECT_EQ(Call("POST", "/crm/v8/Leads", "", R"({"data":[{"Last_Name":"D","Company":"C","ERP_Id":"X1"}]})").status, 400);
  EXPECT_FALSE(emu_->ImportState("{").ok());
  EXPECT_FALSE(emu_->ImportState(R"({"modules":{"Nope":{}}})").ok());
}

// Shapes that Zoho's OpenAPI description, its examples and the official Node
// SDK require (tests/oas_conformance, tests/sdk_compat).
TEST_F(EngineTest, ShapesFollowOpenApiDescriptionAndSdk) {
  // A wrong method is a 400 INVALID_REQUEST_METHOD, not 405.
  Reply r = Call("GET", "/crm/v8/Leads/upsert");
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(r.json["code"].GetString(), "INVALID_REQUEST_METHOD");
  // Module error message as record.json's enum spells it.
  r = Call("GET", "/crm/v8/Nope", "fields=Last_Name");
  EXPECT_STREQ(r.json["message"].GetString(), "The module name given seems to be invalid");
  // fields.json MandatoryParamError: details.param_name.
  r = Call("GET", "/crm/v8/settings/fields");
  EXPECT_STREQ(r.json["details"]["param_name"].GetString(), "module");
  // textarea only on textarea fields; modules carry a modified_by user.
  r = Call("GET", "/crm/v8/settings/fields", "module=Leads");
  for (const auto& f : r.json["fields"].GetArray()) {
    EXPECT_EQ(f.HasMember("textarea"), std::string(f["data_type"].GetString()) == "textarea")
        << f["api_name"].GetString();
  }
  r = Call("GET", "/crm/v8/settings/modules");
  EXPECT_TRUE(r.json["modules"][0]["modified_by"].IsObject());
  r = Call("GET", "/crm/v8/org");
  EXPECT_STREQ(r.json["org"][0]["type"].GetString(), "Production");
  // Count stays a JSON number: the Node SDK cannot parse "count":"1".
  Insert("Leads", R"({"Last_Name":"A","Company":"C"})");
  r = Call("GET", "/crm/v8/Leads/actions/count");
  EXPECT_TRUE(r.json["count"].IsInt()) << r.body;
  // maximum_length is a string (record.json API_Exception).
  r = Call("POST", "/crm/v8/Leads", "",
           R"({"data":[{"Last_Name":")" + std::string(81, 'x') + R"(","Company":"C"}]})");
  EXPECT_STREQ(r.json["data"][0]["details"]["maximum_length"].GetString(), "80");
  // Paging messages as in Zoho's getRecords examples.
  r = Call("GET", "/crm/v8/Leads", "fields=Last_Name&page=11");
  EXPECT_STREQ(r.json["message"].GetString(),
               "You can only get the first 2000 records without using page_token param");
}


// --- Notifications (watch channels) ---------------------------------------

class WatchTest : public EngineTest {
 protected:
  void SetUp() override {
    Options o;
    o.admin = true;
    o.notification_sink = [this](const Notification& n) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(n);
    };
    Make(o);
  }
  // The delivery thread must stop before the members its sink uses go.
  void TearDown() override { emu_.reset(); }
  // Notifications delivered so far, parsed; clears the list.
  std::vector<rapidjson::Document> Take() {
    EXPECT_TRUE(emu_->WaitForNotificationsForTesting(std::chrono::seconds(5)));
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rapidjson::Document> out;
    for (const Notification& n : got_) {
      out.emplace_back();
      out.back().Parse(n.body.c_str());
      EXPECT_FALSE(out.back().HasParseError()) << n.body;
      urls_.push_back(n.url);
    }
    got_.clear();
    return out;
  }
  Reply Watch(const std::string& method, const std::string& body, const std::string& query = "") {
    return Call(method, "/crm/v8/actions/watch", query, body);
  }

  std::mutex mu_;
  std::vector<Notification> got_;
  std::vector<std::string> urls_;
};

TEST_F(WatchTest, EnableListReplaceDisable) {
  Reply r = Watch("POST", R"({"watch":[{"channel_id":"1000000068001",
      "events":["Leads.create","Leads.edit","Accounts.all"],
      "notify_url":"http://127.0.0.1:9/hook?key=v","token":"tok-1"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& item = r.json["watch"][0];
  EXPECT_STREQ(item["code"].GetString(), "SUCCESS");
  EXPECT_STREQ(item["message"].GetString(),
               "Successfully subscribed for actions-watch of the given module");
  ASSERT_EQ(item["details"]["events"].Size(), 2u);  // one per module
  const auto& ev = item["details"]["events"][1];
  EXPECT_STREQ(ev["resource_name"].GetString(), "Leads");
  EXPECT_STREQ(ev["channel_id"].GetString(), "1000000068001");
  EXPECT_THAT(ev["resource_uri"].GetString(), ::testing::EndsWith("/crm/v8/Leads"));
  EXPECT_TRUE(ev["resource_id"].IsString());
  // Default expiry: 1 h from now, in the org's offset.
  EXPECT_STREQ(ev["channel_expiry"].GetString(), "2026-01-01T06:30:00+05:30");

  r = Watch("GET", "", "module=Leads");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["watch"].Size(), 1u);
  EXPECT_STREQ(r.json["watch"][0]["token"].GetString(), "tok-1");
  EXPECT_STREQ(r.json["watch"][0]["notify_url"].GetString(), "http://127.0.0.1:9/hook?key=v");
  EXPECT_EQ(r.json["watch"][0]["events"].Size(), 2u);
  EXPECT_EQ(r.json["info"]["count"].GetInt(), 1);
  EXPECT_EQ(Watch("GET", "").json["info"]["count"].GetInt(), 2);

  // PUT replaces: omitted token is dropped, events are the new ones only.
  r = Watch("PUT", R"({"watch":[{"channel_id":1000000068001,"events":["Contacts.delete"],
      "notify_url":"http://127.0.0.1:9/other"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Watch("GET", "");
  ASSERT_EQ(r.json["watch"].Size(), 1u);
  EXPECT_STREQ(r.json["watch"][0]["resource_name"].GetString(), "Contacts");
  EXPECT_TRUE(r.json["watch"][0]["token"].IsNull());

  // PATCH with _delete_events unsubscribes those events; none left: gone.
  r = Watch("PATCH", R"({"watch":[{"channel_id":"1000000068001","events":["Contacts.delete"],
      "_delete_events":true}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Watch("GET", "").status, 204);

  Watch("POST", R"({"watch":[{"channel_id":"7","events":["Leads.all"],
      "notify_url":"http://127.0.0.1:9/"}]})");
  r = Watch("DELETE", "", "channel_ids=7,8");
  EXPECT_EQ(r.status, 207) << r.body;
  EXPECT_STREQ(r.json["watch"][0]["message"].GetString(),
               "Successfully removed the subscribe details");
  EXPECT_STREQ(r.json["watch"][1]["code"].GetString(), "NOT_SUBSCRIBED");
  EXPECT_EQ(Watch("DELETE", "", "channel_ids=7").status, 202);
  EXPECT_EQ(Watch("DELETE", "").status, 400);
}

TEST_F(WatchTest, ValidationPerItem) {
  Reply r = Watch("POST", R"({"watch":[
      {"events":["Leads.all"],"notify_url":"http://127.0.0.1:9/"},
      {"channel_id":"1","events":["Leads.all"]},
      {"channel_id":"2","events":["Leads.all","Nope.create"],"notify_url":"http://127.0.0.1:9/"},
      {"channel_id":"3","events":["Leads.merge"],"notify_url":"http://127.0.0.1:9/"},
      {"channel_id":"4","events":["Leads.all"],"notify_url":"ftp://x"},
      {"channel_id":"5","events":["Leads.all"],"notify_url":"http://127.0.0.1:9/",
       "token":"123456789012345678901234567890123456789012345678901"},
      {"channel_id":"6","events":["Leads.all"],"notify_url":"http://127.0.0.1:9/",
       "channel_expiry":"2020-01-01T00:00:00Z"},
      {"channel_id":"abc","events":["Leads.all"],"notify_url":"http://127.0.0.1:9/"}]})");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto& w = r.json["watch"];
  EXPECT_STREQ(w[0]["code"].GetString(), "MANDATORY_NOT_FOUND");
  EXPECT_STREQ(w[0]["details"]["api_name"].GetString(), "channel_id");
  EXPECT_STREQ(w[1]["code"].GetString(), "MANDATORY_NOT_FOUND");
  EXPECT_STREQ(w[1]["details"]["json_path"].GetString(), "$.watch[1].notify_url");
  EXPECT_STREQ(w[2]["details"]["json_path"].GetString(), "$.watch[2].events[1]");
  EXPECT_STREQ(w[3]["code"].GetString(), "INVALID_DATA");
  EXPECT_STREQ(w[4]["details"]["api_name"].GetString(), "notify_url");
  EXPECT_STREQ(w[5]["details"]["api_name"].GetString(), "token");
  EXPECT_STREQ(w[6]["details"]["api_name"].GetString(), "channel_expiry");
  EXPECT_STREQ(w[7]["details"]["expected_data_type"].GetString(), "long");
  EXPECT_EQ(Watch("POST", R"({"nope":1})").status, 400);
  EXPECT_EQ(Watch("PATCH", R"({"watch":[{"channel_id":"99","token":"t"}]})").json["watch"][0]["code"],
            "NOT_SUBSCRIBED");
  EXPECT_EQ(Call("GET", "/crm/v8/actions/watch", "module=Nope").status, 400);
}

TEST_F(WatchTest, ExpiryCappedAndEnforced) {
  // Over the 1 week maximum: falls back to the 1 h default (docs/reference §5).
  Reply r = Watch("POST", R"({"watch":[{"channel_id":"1","events":["Leads.all"],
      "notify_url":"http://127.0.0.1:9/","channel_expiry":"2026-03-01T00:00:00Z"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_STREQ(r.json["watch"][0]["details"]["events"][0]["channel_expiry"].GetString(),
               "2026-01-01T06:30:00+05:30");
  r = Watch("POST", R"({"watch":[{"channel_id":"2","events":["Leads.all"],
      "notify_url":"http://127.0.0.1:9/","channel_expiry":"2026-01-03T00:00:00+00:00"}]})");
  EXPECT_STREQ(r.json["watch"][0]["details"]["events"][0]["channel_expiry"].GetString(),
               "2026-01-03T05:30:00+05:30");
  clock_.Advance(std::chrono::hours(2));
  token_ = emu_->IssueTokenForTesting();
  r = Watch("GET", "");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["watch"].Size(), 1u);
  EXPECT_STREQ(r.json["watch"][0]["channel_id"].GetString(), "2");
  Insert("Leads", R"({"Last_Name":"A","Company":"C"})");
  EXPECT_EQ(Take().size(), 1u);  // channel 1 expired
  clock_.Advance(std::chrono::hours(48));
  token_ = emu_->IssueTokenForTesting();
  Insert("Leads", R"({"Last_Name":"B","Company":"C"})");
  EXPECT_EQ(Take().size(), 0u);
  EXPECT_EQ(Watch("GET", "").status, 204);
}

TEST_F(WatchTest, PayloadsForInsertUpdateDelete) {
  ASSERT_EQ(Watch("POST", R"({"watch":[
      {"channel_id":"11","events":["Leads.all"],"notify_url":"http://127.0.0.1:9/a?x=1&y=two",
       "token":"secret","return_affected_field_values":true},
      {"channel_id":"12","events":["Leads.create"],"notify_url":"http://127.0.0.1:9/b"},
      {"channel_id":"13","events":["Accounts.all"],"notify_url":"http://127.0.0.1:9/c"}]})").status,
            201);
  Reply r = Call("POST", "/crm/v8/Leads", "",
                 R"({"data":[{"Last_Name":"A","Company":"C"},{"Last_Name":"B","Company":"C"}]})");
  ASSERT_EQ(r.status, 201);
  std::string a = r.json["data"][0]["details"]["id"].GetString();
  std::string b = r.json["data"][1]["details"]["id"].GetString();
  auto got = Take();
  ASSERT_EQ(got.size(), 2u);  // channels 11 and 12, not 13
  const auto& n = got[0];
  EXPECT_STREQ(n["operation"].GetString(), "insert");
  EXPECT_STREQ(n["module"].GetString(), "Leads");
  EXPECT_STREQ(n["channel_id"].GetString(), "11");
  EXPECT_STREQ(n["token"].GetString(), "secret");
  EXPECT_STREQ(n["query_params"]["y"].GetString(), "two");
  ASSERT_EQ(n["ids"].Size(), 2u);  // one POST for the request's records
  EXPECT_EQ(n["ids"][0].GetString(), a);
  EXPECT_EQ(n["server_time"].GetInt64(), 1'767'225'600'000);
  EXPECT_THAT(n["resource_uri"].GetString(), ::testing::EndsWith("/crm/v8/Leads"));
  EXPECT_EQ(urls_[0], "http://127.0.0.1:9/a?x=1&y=two");
  EXPECT_TRUE(got[1]["token"].IsNull());

  // Update: only channel 11; affected fields and values.
  r = Call("PUT", "/crm/v8/Leads", "", R"({"data":[{"id":")" + a + R"(","Company":"New","Last_Name":"A"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  got = Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_STREQ(got[0]["operation"].GetString(), "update");
  ASSERT_EQ(got[0]["affected_fields"].Size(), 1u);
  const auto& fields = got[0]["affected_fields"][0][a.c_str()];
  ASSERT_EQ(fields.Size(), 1u);  // Last_Name was sent unchanged
  EXPECT_STREQ(fields[0].GetString(), "Company");
  EXPECT_EQ(got[0]["affected_values"][0]["record_id"].GetString(), a);
  EXPECT_STREQ(got[0]["affected_values"][0]["values"]["Company"].GetString(), "New");

  // Upsert that updates one and inserts one: two notifications to 11.
  r = Call("POST", "/crm/v8/Leads/upsert", "",
           R"({"duplicate_check_fields":["Last_Name"],"data":[{"Last_Name":"B","Company":"D"},
               {"Last_Name":"Z","Company":"D"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  got = Take();
  ASSERT_EQ(got.size(), 3u);  // 11 insert, 12 insert, 11 update
  EXPECT_STREQ(got[2]["operation"].GetString(), "update");
  EXPECT_EQ(got[2]["ids"][0].GetString(), b);

  ASSERT_EQ(Call("DELETE", "/crm/v8/Leads/" + b).status, 200);
  got = Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_STREQ(got[0]["operation"].GetString(), "delete");
  EXPECT_EQ(got[0]["ids"][0].GetString(), b);

  Reply stats = Call("GET", "/__admin/stats");
  EXPECT_EQ(stats.json["notifications"]["sent"].GetInt(), 7);
  EXPECT_EQ(stats.json["notifications"]["channels"].GetInt(), 3);
}

TEST(WatchQueueTest, FullQueueDropsWithoutBlocking) {
  // The sink blocks until the gate opens (also when an assertion returns early,
  // so the emulator's destructor can join its delivery thread).
  std::atomic<bool> open{false};
  struct Opener {
    std::atomic<bool>& open;
    ~Opener() { open = true; }
  };
  std::atomic<int> delivered{0};
  Options o;
  o.admin = true;
  o.notification_queue = 2;
  o.notification_sink = [&](const Notification&) {
    while (!open) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++delivered;
  };
  auto emu = Emulator::Create(o);
  Opener opener{open};  // destroyed before emu
  ASSERT_TRUE(emu.has_value());
  std::string token = (*emu)->IssueTokenForTesting();
  auto call = [&](const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest req{method, path, "", {{"Authorization", "Zoho-oauthtoken " + token}}, body, {}};
    return (*emu)->Handle(req).status;
  };
  ASSERT_EQ(call("POST", "/crm/v8/actions/watch",
                 R"({"watch":[{"channel_id":"1","events":["Leads.create"],
                     "notify_url":"http://127.0.0.1:9/"}]})"),
            201);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(call("POST", "/crm/v8/Leads", R"({"data":[{"Last_Name":"A","Company":"C"}]})"), 201);
  }
  HttpResponse stats = (*emu)->Handle(HttpRequest{"GET", "/__admin/stats", "", {}, "", {}});
  rapidjson::Document d;
  d.Parse(stats.body.c_str());
  // One in delivery (blocked), two queued, the rest dropped.
  EXPECT_GE(d["notifications"]["dropped"].GetInt(), 3);
  open = true;
  EXPECT_TRUE((*emu)->WaitForNotificationsForTesting(std::chrono::seconds(5)));
  EXPECT_EQ(delivered.load() + d["notifications"]["dropped"].GetInt(), 6);
}

}  // namespace
}  // namespace zcrmsync::emulator
