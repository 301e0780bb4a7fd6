// Moves 200,000 records out of and into the emulator through the bulk APIs
// (issue #3, part 3): bulk write (upload a ZIP of CSV, create the job, poll,
// download the result) in files of 25,000 records, then bulk read of all of
// them, then a bulk upsert. Through Emulator::Handle, without sockets.
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "emulator/bulk_files.h"
#include "emulator/emulator.h"

namespace zcrmsync::emulator {
namespace {

constexpr int kRecords = 200'000;
constexpr int kPerFile = 25'000;

class BulkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.credits = 1'000'000;
    auto e = Emulator::Create(o);
    ASSERT_TRUE(e.has_value());
    emu_ = std::move(*e);
    token_ = emu_->IssueTokenForTesting();
  }
  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    std::vector<std::pair<std::string, std::string>> form = {}) {
    headers.emplace_back("Authorization", "Zoho-oauthtoken " + token_);
    return emu_->Handle(HttpRequest{method, path, "", std::move(headers), body, std::move(form)});
  }
  static rapidjson::Document Json(const HttpResponse& r) {
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d;
  }
  // Uploads `csv` zipped, runs a bulk write job on it; returns its status JSON.
  rapidjson::Document Write(const std::string& csv, const std::string& operation,
                            const std::string& find_by) {
    HttpResponse up = Call("POST", "/crm/v8/upload", "",
                           {{"feature", "bulk-write"}, {"X-CRM-ORG", "60012345678"}},
                           {{"file", ZipOneFile("leads.csv", csv)}});
    EXPECT_EQ(up.status, 200) << up.body.substr(0, 300);
    const std::string file_id = Json(up)["details"]["file_id"].GetString();
    std::string job = R"({"operation":")" + operation + R"(","resource":[{"type":"data",
        "module":{"api_name":"Leads"},"file_id":")" + file_id + R"(")" +
                      (find_by.empty() ? "" : R"(,"find_by":")" + find_by + R"(")") + "}]}";
    HttpResponse created = Call("POST", "/crm/bulk/v8/write", job);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id = Json(created)["details"]["id"].GetString();
    HttpResponse status = Call("GET", "/crm/bulk/v8/write/" + id, "");
    EXPECT_EQ(status.status, 200) << status.body;
    return Json(status);
  }

  std::unique_ptr<Emulator> emu_;
  std::string token_;
};

TEST_F(BulkTest, TwoHundredThousandRecordsInAndOut) {
  const auto t0 = std::chrono::steady_clock::now();
  // In: 8 files of 25,000 (the per-file limit).
  for (int file = 0; file < kRecords / kPerFile; ++file) {
    std::string csv = "Last_Name,Company,Email,ERP_Id\r\n";
    for (int i = file * kPerFile; i < (file + 1) * kPerFile; ++i) {
      const std::string n = std::to_string(i);
      csv += "Bulk " + n + ",Company " + n + ",bulk" + n + "@example.com,B-" + n + "\r\n";
    }
    rapidjson::Document job = Write(csv, "insert", "");
    ASSERT_STREQ(job["status"].GetString(), "COMPLETED");
    const auto& f = job["resource"][0]["file"];
    ASSERT_EQ(f["added_count"].GetInt(), kPerFile) << f["skipped_count"].GetInt();
    ASSERT_EQ(f["total_count"].GetInt(), kPerFile);
    if (file == 0) {
      // The result file: the input plus STATUS, RECORD_ID, ERRORS.
      std::string url = job["result"]["download_url"].GetString();
      HttpResponse res = Call("GET", url.substr(url.find("/crm/")), "");
      ASSERT_EQ(res.status, 200);
      auto entry = UnzipFirstFile(res.body);
      ASSERT_TRUE(entry.has_value());
      auto rows = ParseCsv(entry->content);
      ASSERT_TRUE(rows.has_value());
      ASSERT_EQ(rows->size(), static_cast<size_t>(kPerFile) + 1);
      EXPECT_EQ((*rows)[0].back(), "ERRORS");
      EXPECT_EQ((*rows)[1][4], "ADDED");
    }
  }
  HttpResponse count = Call("GET", "/crm/v8/Leads/actions/count", "");
  EXPECT_EQ(Json(count)["count"].GetInt(), kRecords);

  // Out: one bulk read page holds all 200,000.
  HttpResponse created = Call("POST", "/crm/bulk/v8/read",
                              R"({"query":{"module":{"api_name":"Leads"},
                                  "fields":["Last_Name","Email","ERP_Id"],"page":1}})",
                              {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Json(created)["data"][0]["details"]["id"].GetString();
  rapidjson::Document job = Json(Call("GET", "/crm/bulk/v8/read/" + id, ""));
  ASSERT_STREQ(job["data"][0]["state"].GetString(), "COMPLETED");
  EXPECT_EQ(job["data"][0]["result"]["count"].GetInt(), kRecords);
  EXPECT_FALSE(job["data"][0]["result"]["more_records"].GetBool());
  HttpResponse zip = Call("GET", "/crm/bulk/v8/read/" + id + "/result", "");
  ASSERT_EQ(zip.status, 200);
  auto entry = UnzipFirstFile(zip.body);
  ASSERT_TRUE(entry.has_value()) << entry.error().ToString();
  EXPECT_EQ(entry->name, id + ".csv");
  auto rows = ParseCsv(entry->content);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), static_cast<size_t>(kRecords) + 1);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"id", "Last_Name", "Email", "ERP_Id"}));
  std::set<std::string> ids;
  std::set<std::string> erp_ids;
  for (size_t i = 1; i < rows->size(); ++i) {
    ids.insert((*rows)[i][0]);
    erp_ids.insert((*rows)[i][3]);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(erp_ids.size(), static_cast<size_t>(kRecords));
  EXPECT_TRUE(erp_ids.contains("B-199999"));

  // Criteria: one record by its unique ERP_Id.
  created = Call("POST", "/crm/bulk/v8/read",
                 R"({"query":{"module":{"api_name":"Leads"},"fields":["ERP_Id"],
                     "criteria":{"field":{"api_name":"ERP_Id"},"comparator":"equal","value":"b-7"}}})",
                 {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  job = Json(Call("GET", "/crm/bulk/v8/read/" + std::string(Json(created)["data"][0]["details"]["id"].GetString()), ""));
  EXPECT_EQ(job["data"][0]["result"]["count"].GetInt(), 1);

  // Upsert back in by ERP_Id: 25,000 updates and one insert.
  std::string csv = "ERP_Id,Company,Last_Name\r\n";
  for (int i = 0; i < kPerFile - 1; ++i) csv += "B-" + std::to_string(i) + ",Changed,Bulk\r\n";
  csv += "B-new,New,New\r\n";
  job = Write(csv, "upsert", "ERP_Id");
  EXPECT_EQ(job["resource"][0]["file"]["updated_count"].GetInt(), kPerFile - 1);
  EXPECT_EQ(job["resource"][0]["file"]["added_count"].GetInt(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
}

TEST_F(BulkTest, ErrorsAndSkippedRows) {
  // Upload checks its headers.
  HttpResponse up = Call("POST", "/crm/v8/upload", "", {}, {{"file", ZipOneFile("a.csv", "x\r\n")}});
  EXPECT_EQ(up.status, 400);
  up = Call("POST", "/crm/v8/upload", "", {{"feature", "bulk-write"}, {"X-CRM-ORG", "60012345678"}},
            {{"file", "id,Last_Name\r\n1,A\r\n"}});  // a CSV, not a ZIP
  EXPECT_EQ(up.status, 400);
  // Skipped rows say why; an update that finds nothing is skipped.
  rapidjson::Document job = Write("Last_Name,Company,ERP_Id\r\nA,C,E-1\r\n,C,E-2\r\nB,C,e-1\r\n",
                                  "insert", "");
  const auto& f = job["resource"][0]["file"];
  EXPECT_EQ(f["added_count"].GetInt(), 1);
  EXPECT_EQ(f["skipped_count"].GetInt(), 2);
  std::string url = job["result"]["download_url"].GetString();
  auto rows = ParseCsv(UnzipFirstFile(Call("GET", url.substr(url.find("/crm/")), "").body)->content);
  EXPECT_EQ((*rows)[2][5], "MANDATORY_NOT_FOUND-Last_Name");
  EXPECT_EQ((*rows)[3][5], "DUPLICATE_DATA-ERP_Id");
  job = Write("id,Company\r\n5725767000009999999,X\r\n", "update", "id");
  EXPECT_EQ(job["resource"][0]["file"]["skipped_count"].GetInt(), 1);
  // Job creation checks its body.
  EXPECT_EQ(Call("POST", "/crm/bulk/v8/write", R"({"resource":[]})").status, 400);
  EXPECT_EQ(Call("POST", "/crm/bulk/v8/write",
                 R"({"operation":"upsert","resource":[{"type":"data","module":{"api_name":"Leads"},"file_id":"1"}]})")
                .status,
            400);
  EXPECT_EQ(Call("GET", "/crm/bulk/v8/write/5725767000009999999", "").status, 400);
  // Bulk read needs a JSON content type, a module and valid criteria.
  EXPECT_EQ(Call("POST", "/crm/bulk/v8/read", R"({"query":{"module":{"api_name":"Leads"}}})").status,
            415);
  EXPECT_EQ(Call("POST", "/crm/bulk/v8/read", R"({"query":{"module":{"api_name":"Nope"}}})",
                 {{"Content-Type", "application/json"}}).status,
            400);
  EXPECT_EQ(Call("POST", "/crm/bulk/v8/read",
                 R"({"query":{"module":{"api_name":"Leads"},"criteria":{"field":{"api_name":"Nope"},
                     "comparator":"equal","value":"x"}}})",
                 {{"Content-Type", "application/json"}}).status,
            400);
  EXPECT_EQ(Call("GET", "/crm/bulk/v8/read/5725767000009999999", "").status, 404);
  EXPECT_EQ(Call("GET", "/crm/bulk/v8/read", "").status, 400);  // wrong method
}

}  // namespace
}  // namespace zcrmsync::emulator

namespace zcrmsync::emulator {
namespace {

// A bulk write is a record change like any other: watch channels hear of it.
TEST(BulkNotifyTest, BulkWriteNotifiesWatchChannels) {
  std::mutex mu;
  std::vector<std::string> bodies;
  Options o;
  o.notification_sink = [&](const Notification& n) {
    std::lock_guard<std::mutex> lock(mu);
    bodies.push_back(n.body);
  };
  auto e = Emulator::Create(o);
  ASSERT_TRUE(e.has_value());
  std::unique_ptr<Emulator> emu = std::move(*e);
  const std::string auth = "Zoho-oauthtoken " + emu->IssueTokenForTesting();
  auto call = [&](const std::string& method, const std::string& path, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  std::vector<std::pair<std::string, std::string>> form = {}) {
    headers.emplace_back("Authorization", auth);
    return emu->Handle(HttpRequest{method, path, "", std::move(headers), body, std::move(form)});
  };
  ASSERT_EQ(call("POST", "/crm/v8/actions/watch",
                 R"({"watch":[{"channel_id":"1000000068002","events":["Leads.create"],
                     "notify_url":"http://127.0.0.1:9/hook","token":"t"}]})")
                .status,
            201);
  HttpResponse up = call("POST", "/crm/v8/upload", "",
                         {{"feature", "bulk-write"}, {"X-CRM-ORG", "60012345678"}},
                         {{"file", ZipOneFile("leads.csv", "Last_Name,Company\r\nA,C\r\nB,D\r\n")}});
  ASSERT_EQ(up.status, 200) << up.body;
  rapidjson::Document upd;
  upd.Parse(up.body.c_str());
  const std::string file_id = upd["details"]["file_id"].GetString();
  HttpResponse job = call("POST", "/crm/bulk/v8/write",
                          R"({"operation":"insert","resource":[{"type":"data",
                              "module":{"api_name":"Leads"},"file_id":")" + file_id + R"("}]})");
  ASSERT_EQ(job.status, 201) << job.body;
  ASSERT_TRUE(emu->WaitForNotificationsForTesting(std::chrono::seconds(5)));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(bodies.size(), 1u);
  rapidjson::Document d;
  d.Parse(bodies[0].c_str());
  EXPECT_STREQ(d["operation"].GetString(), "insert");
  EXPECT_EQ(d["ids"].Size(), 2u);
}

}  // namespace
}  // namespace zcrmsync::emulator
