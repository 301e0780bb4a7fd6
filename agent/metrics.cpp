#include "agent/metrics.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "crm/json.h"

namespace zcrmsync::agent {
namespace {

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void Family(std::ostringstream& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

std::string Label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + EscapeLabelValue(value) + "\"";
}

// Short enough for a health check's log line.
std::string Shorten(std::string s) {
  constexpr size_t kMax = 300;
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

std::string IsoTime(double unix_seconds) {
  const auto micros = std::chrono::microseconds(static_cast<int64_t>(unix_seconds * 1e6));
  return FormatUtc(Clock::TimePoint(micros));
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> Metrics::DefaultBuckets() {
  return {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}

Metrics::Metrics(std::vector<double> buckets)
    : buckets_(std::move(buckets)), bucket_counts_(buckets_.size(), 0) {}

void Metrics::SetMappings(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& n : names) {
    totals_.try_emplace(n);
    backlog_.try_emplace(n);
  }
}

void Metrics::SetHolderId(std::string holder_id) {
  std::lock_guard<std::mutex> lock(mu_);
  holder_id_ = std::move(holder_id);
}

void Metrics::SetRole(Role role, std::string seen_holder) {
  std::lock_guard<std::mutex> lock(mu_);
  role_ = role;
  seen_holder_ = std::move(seen_holder);
}

void Metrics::SetDatabaseReachable(bool ok, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  database_ok_ = ok;
  database_reason_ = std::move(reason);
}

void Metrics::RecordCycle(const CycleReport& report) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (report.duration_seconds <= buckets_[i]) {
      ++bucket_counts_[i];
      break;
    }
  }
  duration_sum_ += report.duration_seconds;
  (report.ok ? cycles_ok_ : cycles_failed_) += 1;
  if (!report.ok) ++errors_[{report.error_class, report.error_source}];
  for (const auto& [name, c] : report.counts) {
    MappingCounts& t = totals_[name];
    t.pushed += c.pushed;
    t.pulled += c.pulled;
    t.merged += c.merged;
    t.conflicts += c.conflicts;
    t.parked += c.parked;
    t.zoho_calls += c.zoho_calls;
    t.zoho_credits += c.zoho_credits;
  }
  for (const auto& [name, b] : report.backlog) backlog_[name] = b;
  zoho_calls_ += report.zoho_calls;
  zoho_credits_ += report.zoho_credits;
  database_ok_ = report.database_ok;
  database_reason_ = report.database_ok ? "" : report.error;
  last_ = report;
  last_->counts.clear();
  last_->backlog.clear();
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  Family(out, "zcrmsync_up", "gauge", "1 while the agent process runs.");
  out << "zcrmsync_up 1\n";
  Family(out, "zcrmsync_lease_held", "gauge",
         "1 when this agent holds the failover lease and syncs, 0 while it stands by.");
  out << "zcrmsync_lease_held{" << Label("holder", holder_id_) << "} "
      << (role_ == Role::kActive ? 1 : 0) << '\n';
  Family(out, "zcrmsync_lease_holder", "gauge",
         "The agent the database names as the lease holder (value 1), as last seen.");
  if (!seen_holder_.empty()) {
    out << "zcrmsync_lease_holder{" << Label("holder", seen_holder_) << "} 1\n";
  }

  Family(out, "zcrmsync_backlog", "gauge", "Captured ERP keys waiting to be pushed, per mapping.");
  for (const auto& [name, b] : backlog_) {
    out << "zcrmsync_backlog{" << Label("mapping", name) << "} " << b.backlog << '\n';
  }
  Family(out, "zcrmsync_lag_seconds", "gauge",
         "Age of the oldest ERP change waiting to be pushed (0 when none), per mapping.");
  for (const auto& [name, b] : backlog_) {
    if (b.lag_seconds) {
      out << "zcrmsync_lag_seconds{" << Label("mapping", name) << "} " << Number(*b.lag_seconds)
          << '\n';
    }
  }
  struct Counter {
    const char* name;
    const char* help;
    int64_t MappingCounts::*member;
  };
  for (const Counter& c : {
           Counter{"zcrmsync_pushed_total", "Records written to Zoho by the push.",
                   &MappingCounts::pushed},
           Counter{"zcrmsync_pulled_total", "CRM records taken in by the pull (echoes excluded).",
                   &MappingCounts::pulled},
           Counter{"zcrmsync_merged_total", "ERP rows written or deleted by the pull.",
                   &MappingCounts::merged},
           Counter{"zcrmsync_conflicts_total", "Fields changed on both sides since the last sync.",
                   &MappingCounts::conflicts},
           Counter{"zcrmsync_parked_total", "Records parked in the dead letter.",
                   &MappingCounts::parked},
           Counter{"zcrmsync_mapping_zoho_calls_total", "Zoho API calls made for the mapping.",
                   &MappingCounts::zoho_calls},
           Counter{"zcrmsync_mapping_zoho_credits_total", "Zoho API credits spent for the mapping.",
                   &MappingCounts::zoho_credits},
       }) {
    Family(out, c.name, "counter", c.help);
    for (const auto& [name, t] : totals_) {
      out << c.name << '{' << Label("mapping", name) << "} " << t.*c.member << '\n';
    }
  }

  Family(out, "zcrmsync_zoho_calls_total", "counter", "Zoho API calls (token calls excluded).");
  out << "zcrmsync_zoho_calls_total " << zoho_calls_ << '\n';
  Family(out, "zcrmsync_zoho_credits_total", "counter", "Zoho API credits spent.");
  out << "zcrmsync_zoho_credits_total " << zoho_credits_ << '\n';
  Family(out, "zcrmsync_errors_total", "counter",
         "Failed cycles by error class (status code) and source (database, zoho, agent).");
  for (const auto& [key, n] : errors_) {
    out << "zcrmsync_errors_total{" << Label("class", key.first) << ','
        << Label("source", key.second) << "} " << n << '\n';
  }
  Family(out, "zcrmsync_cycles_total", "counter", "Sync cycles finished, by result.");
  out << "zcrmsync_cycles_total{result=\"ok\"} " << cycles_ok_ << '\n';
  out << "zcrmsync_cycles_total{result=\"failed\"} " << cycles_failed_ << '\n';

  Family(out, "zcrmsync_cycle_duration_seconds", "histogram", "Duration of a sync cycle.");
  int64_t cumulative = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += bucket_counts_[i];
    out << "zcrmsync_cycle_duration_seconds_bucket{le=\"" << Number(buckets_[i]) << "\"} "
        << cumulative << '\n';
  }
  const int64_t count = cycles_ok_ + cycles_failed_;
  out << "zcrmsync_cycle_duration_seconds_bucket{le=\"+Inf\"} " << count << '\n';
  out << "zcrmsync_cycle_duration_seconds_sum " << Number(duration_sum_) << '\n';
  out << "zcrmsync_cycle_duration_seconds_count " << count << '\n';

  Family(out, "zcrmsync_last_cycle_timestamp_seconds", "gauge",
         "When the last sync cycle finished (Unix time).");
  if (last_)
    out << "zcrmsync_last_cycle_timestamp_seconds " << Number(last_->finished_at_unix) << '\n';
  return out.str();
}

HealthAnswer Metrics::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  crm::JsonValue::Object o;
  auto answer = [&](int code, const char* status, std::string reason) {
    o["status"] = status;
    if (!reason.empty()) o["reason"] = Shorten(std::move(reason));
    if (last_) o["last_cycle"] = IsoTime(last_->finished_at_unix);
    return HealthAnswer{code, crm::ToJson(crm::JsonValue(std::move(o)))};
  };
  if (!database_ok_) return answer(503, "unhealthy", "database unreachable: " + database_reason_);
  switch (role_) {
    case Role::kStarting:
      return answer(503, "starting", "no sync cycle has run yet");
    case Role::kStopping:
      return answer(503, "stopping", "shutting down");
    case Role::kStandby:
      return answer(200, "standby",
                    "another agent holds the lease" +
                        (seen_holder_.empty() ? std::string() : ": " + seen_holder_));
    case Role::kActive:
      break;
  }
  if (!last_) return answer(503, "starting", "no sync cycle has finished yet");
  if (!last_->zoho_ok) return answer(503, "unhealthy", "Zoho unreachable: " + last_->error);
  if (!last_->ok) return answer(503, "unhealthy", "last cycle failed: " + last_->error);
  return answer(200, "ok", "");
}

}  // namespace zcrmsync::agent
