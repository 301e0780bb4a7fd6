#include "agent/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace zcrmsync::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CycleReport OkCycle(double seconds) {
  CycleReport r;
  r.duration_seconds = seconds;
  r.finished_at_unix = 1'790'000'000.5;
  r.zoho_calls = 3;
  r.zoho_credits = 4;
  r.counts["customers"] = {.pushed = 40, .pulled = 3, .merged = 2, .conflicts = 1, .parked = 0,
                          .zoho_calls = 5, .zoho_credits = 7};
  r.backlog["customers"] = {.backlog = 7, .lag_seconds = 12.5};
  return r;
}

// Every sample line is "name{labels} value" or "name value"; every family has
// HELP and TYPE before its samples.
void ExpectWellFormed(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string typed;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty());
    if (line.starts_with("# TYPE ")) {
      typed = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("#")) continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(name.starts_with(typed)) << line << " follows TYPE " << typed;
    const std::string value = line.substr(line.rfind(' ') + 1);
    EXPECT_FALSE(value.empty()) << line;
  }
}

TEST(MetricsTest, RendersPrometheusTextFormat) {
  Metrics m({0.5, 1, 5});
  m.SetMappings({"customers", "contacts"});
  m.SetHolderId("host:1:abc");
  m.SetRole(Role::kActive, "host:1:abc");
  m.RecordCycle(OkCycle(0.7));
  m.RecordCycle(OkCycle(0.2));
  CycleReport failed;
  failed.ok = false;
  failed.error = "zoho: 503";
  failed.error_class = "UNAVAILABLE";
  failed.error_source = "zoho";
  failed.zoho_ok = false;
  failed.duration_seconds = 30;
  m.RecordCycle(failed);
  const std::string text = m.RenderPrometheus();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("# TYPE zcrmsync_up gauge\nzcrmsync_up 1\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_lease_held{holder=\"host:1:abc\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_backlog{mapping=\"customers\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_backlog{mapping=\"contacts\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_lag_seconds{mapping=\"customers\"} 12.5\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE zcrmsync_pushed_total counter\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_pushed_total{mapping=\"customers\"} 80\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_pushed_total{mapping=\"contacts\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_mapping_zoho_calls_total{mapping=\"customers\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_mapping_zoho_credits_total{mapping=\"customers\"} 14\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_pulled_total{mapping=\"customers\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_merged_total{mapping=\"customers\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_conflicts_total{mapping=\"customers\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_zoho_calls_total 6\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_zoho_credits_total 8\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_errors_total{class=\"UNAVAILABLE\",source=\"zoho\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("zcrmsync_cycles_total{result=\"ok\"} 2\n"));
  // Histogram buckets are cumulative and end with +Inf = count.
  EXPECT_THAT(text, HasSubstr("# TYPE zcrmsync_cycle_duration_seconds histogram\n"
                              "zcrmsync_cycle_duration_seconds_bucket{le=\"0.5\"} 1\n"
                              "zcrmsync_cycle_duration_seconds_bucket{le=\"1\"} 2\n"
                              "zcrmsync_cycle_duration_seconds_bucket{le=\"5\"} 2\n"
                              "zcrmsync_cycle_duration_seconds_bucket{le=\"+Inf\"} 3\n"
                              "zcrmsync_cycle_duration_seconds_sum 30.9\n"
                              "zcrmsync_cycle_duration_seconds_count 3\n"));
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Metrics m;
  m.SetHolderId("odd\"host");
  EXPECT_THAT(m.RenderPrometheus(), HasSubstr("zcrmsync_lease_held{holder=\"odd\\\"host\"} 0\n"));
}

TEST(MetricsTest, HealthFollowsRoleAndLastCycle) {
  Metrics m;
  EXPECT_EQ(m.Health().http_status, 503);
  EXPECT_THAT(m.Health().json, HasSubstr("\"status\":\"starting\""));
  m.SetRole(Role::kActive, "me");
  EXPECT_EQ(m.Health().http_status, 503);  // no cycle yet
  m.RecordCycle(OkCycle(1));
  EXPECT_EQ(m.Health().http_status, 200);
  EXPECT_THAT(m.Health().json, HasSubstr("\"status\":\"ok\""));
  EXPECT_THAT(m.Health().json, HasSubstr("\"last_cycle\":\"2026-"));

  CycleReport zoho_down;
  zoho_down.ok = false;
  zoho_down.zoho_ok = false;
  zoho_down.error = "zoho: connection refused";
  m.RecordCycle(zoho_down);
  EXPECT_EQ(m.Health().http_status, 503);
  EXPECT_THAT(m.Health().json, HasSubstr("Zoho unreachable: zoho: connection refused"));

  CycleReport db_down;
  db_down.ok = false;
  db_down.database_ok = false;
  db_down.error = "database: gone \"away\"";
  m.RecordCycle(db_down);
  EXPECT_THAT(m.Health().json, HasSubstr("database unreachable: database: gone \\\"away\\\""));

  CycleReport bad;
  bad.ok = false;
  bad.error = "push: table missing";
  m.RecordCycle(bad);
  EXPECT_EQ(m.Health().http_status, 503);
  EXPECT_THAT(m.Health().json, HasSubstr("last cycle failed: push: table missing"));
  m.RecordCycle(OkCycle(1));
  EXPECT_EQ(m.Health().http_status, 200);

  m.SetRole(Role::kStandby, "other:2:def");
  EXPECT_EQ(m.Health().http_status, 200);
  EXPECT_THAT(m.Health().json, HasSubstr("another agent holds the lease: other:2:def"));
  EXPECT_THAT(m.RenderPrometheus(), HasSubstr("zcrmsync_lease_holder{holder=\"other:2:def\"} 1"));
  m.SetDatabaseReachable(false, "timeout");
  EXPECT_EQ(m.Health().http_status, 503);
  m.SetRole(Role::kStopping);
  m.SetDatabaseReachable(true);
  EXPECT_EQ(m.Health().http_status, 503);
  EXPECT_THAT(m.Health().json, Not(HasSubstr("\"ok\"")));
}

}  // namespace
}  // namespace zcrmsync::agent
