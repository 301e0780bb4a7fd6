// Metrics: what `zcrmsync run` reports about itself, for GET /metrics
// (Prometheus text format 0.0.4) and GET /health (agent/health_server.h).
// The run loop records into it after each cycle and on lease changes; the
// HTTP thread only renders. Every member is guarded by one mutex, so both
// sides see a consistent snapshot; nothing here touches the database.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace zcrmsync::agent {

// What one cycle did for one mapping.
struct MappingCounts {
  int64_t pushed = 0;     // records written to Zoho by the push (created + updated + deleted)
  int64_t pulled = 0;     // CRM records taken in by the pull (fetched minus our echoes)
  int64_t merged = 0;     // ERP rows written or deleted by the pull (the merge's ERP share)
  int64_t conflicts = 0;  // fields both sides changed (resolved by rule or held)
  int64_t parked = 0;     // records parked in the dead letter (push and pull)
  int64_t zoho_calls = 0;    // Zoho API calls made for the mapping, and their credits
  int64_t zoho_credits = 0;
};

// Where a mapping stands after a cycle.
struct MappingBacklog {
  int64_t backlog = 0;                // captured keys waiting to be pushed
  std::optional<double> lag_seconds;  // age of the oldest waiting change (0 when none)
};

struct CycleReport {
  bool ok = true;
  std::string error;         // the failure, when !ok
  std::string error_class;   // its status code name (UNAVAILABLE, ...), when !ok
  std::string error_source;  // "database", "zoho" or "agent", when !ok
  bool database_ok = true;   // reachable at the end of the cycle
  bool zoho_ok = true;
  double duration_seconds = 0;
  double finished_at_unix = 0;
  int64_t zoho_calls = 0;  // API calls and credits this cycle
  int64_t zoho_credits = 0;
  std::map<std::string, MappingCounts> counts;    // by mapping name
  std::map<std::string, MappingBacklog> backlog;  // by mapping name; absent: unknown
};

// The agent's role, for /health and the lease gauge.
enum class Role { kStarting, kActive, kStandby, kStopping };

struct HealthAnswer {
  int http_status = 503;  // 200 or 503
  std::string json;       // {"status": ..., "reason": ...}
};

class Metrics {
 public:
  // Cycle duration histogram bounds in seconds (+Inf is implied).
  static std::vector<double> DefaultBuckets();

  explicit Metrics(std::vector<double> buckets = DefaultBuckets());

  // Mappings shown even before their first count (all zeros).
  void SetMappings(const std::vector<std::string>& names);
  void SetHolderId(std::string holder_id);
  // `seen_holder`: the lease holder the database reported ("" = free/unknown).
  void SetRole(Role role, std::string seen_holder = "");
  // A lease or database failure outside a cycle (standby cannot reach the database).
  void SetDatabaseReachable(bool ok, std::string reason = "");
  void RecordCycle(const CycleReport& report);

  std::string RenderPrometheus() const;
  HealthAnswer Health() const;

 private:
  mutable std::mutex mu_;
  std::vector<double> buckets_;
  std::vector<int64_t> bucket_counts_;  // cumulative counts are computed on render
  double duration_sum_ = 0;
  int64_t cycles_ok_ = 0;
  int64_t cycles_failed_ = 0;
  std::map<std::string, MappingCounts> totals_;
  std::map<std::string, MappingBacklog> backlog_;
  std::map<std::pair<std::string, std::string>, int64_t> errors_;  // (class, source)
  int64_t zoho_calls_ = 0;
  int64_t zoho_credits_ = 0;
  std::string holder_id_;
  std::string seen_holder_;
  Role role_ = Role::kStarting;
  std::optional<CycleReport> last_;  // counts and backlog dropped: the totals keep them
  bool database_ok_ = true;
  std::string database_reason_;
};

// Prometheus label value escaping: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace zcrmsync::agent
