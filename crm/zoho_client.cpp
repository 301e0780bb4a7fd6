#include "crm/zoho_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <set>

#include "core/log.h"
#include "core/secrets.h"
#include "core/status_macros.h"
#include "core/value.h"
#include "crm/http_errors.h"

namespace zcrmsync::crm {
namespace {

constexpr int kMaxBatch = 100;
constexpr int kPerPage = 200;
constexpr int kDiscretePagingLimit = 2000;
constexpr size_t kMaxFields = 50;

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("crm.client");
  return *logger;
}

Status CheckModule(std::string_view module) {
  if (module.empty() || module.size() > 100 ||
      !std::all_of(module.begin(), module.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_';
      })) {
    return InvalidArgumentError("invalid module api name '" + std::string(module.substr(0, 100)) +
                                "'");
  }
  return Status::Ok();
}

// Counts each name once: JoinEncoded sends each once (a mapped field may be
// Modified_Time or Created_Time, which the pull also asks for).
Status CheckFields(const std::vector<std::string>& fields) {
  const size_t distinct = std::set<std::string>(fields.begin(), fields.end()).size();
  if (distinct == 0 || distinct > kMaxFields) {
    return InvalidArgumentError("between 1 and 50 field api names are required, got " +
                                std::to_string(distinct));
  }
  return Status::Ok();
}

// A field api name as COQL takes it unquoted: letters, digits, underscores.
Status CheckApiName(const std::string& name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_';
      })) {
    return InvalidArgumentError("invalid field api name '" + name.substr(0, 100) + "'");
  }
  return Status::Ok();
}

// "a,b,c", each item URL-encoded and sent once, in first-seen order.
std::string JoinEncoded(const std::vector<std::string>& items) {
  std::string out;
  std::set<std::string_view> seen;
  for (const std::string& item : items) {
    if (!seen.insert(item).second) continue;
    if (!out.empty()) out += ',';
    out += UrlEncode(item);
  }
  return out;
}

// Insert, update and upsert cost about 1 credit per 10 records (at least 1).
int WriteCredits(size_t records) { return std::max(1, static_cast<int>((records + 9) / 10)); }

// COQL costs by LIMIT: 1-200 -> 1, 201-1000 -> 2, 1001-2000 -> 3 (200 default).
int CoqlCredits(std::string_view query) {
  std::string lower(query);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  int64_t limit = 200;
  for (size_t pos = lower.find("limit"); pos != std::string::npos;
       pos = lower.find("limit", pos + 5)) {
    bool word_start = pos == 0 || std::isspace(static_cast<unsigned char>(lower[pos - 1]));
    size_t p = pos + 5;
    if (!word_start || p >= lower.size() || !std::isspace(static_cast<unsigned char>(lower[p]))) {
      continue;
    }
    while (p < lower.size() && std::isspace(static_cast<unsigned char>(lower[p]))) ++p;
    int64_t v = 0;
    size_t digits = 0;
    while (p < lower.size() && std::isdigit(static_cast<unsigned char>(lower[p])) && digits < 9) {
      v = v * 10 + (lower[p++] - '0');
      ++digits;
    }
    if (digits > 0) limit = v;
  }
  return limit <= 200 ? 1 : limit <= 1000 ? 2 : 3;
}

// The per-record items of a write reply, or why there are none.
Result<JsonValue::Array> ReplyItems(const HttpResponse& response, size_t expected) {
  Result<JsonValue> json = ParseJson(response.body);
  if (!json.has_value()) {
    return Error(InternalError("Zoho " + std::to_string(response.status) +
                               ": reply is not JSON"));
  }
  const JsonValue* data = json->Find("data");
  if (data == nullptr || !data->is_array() || data->as_array().size() != expected) {
    return Error(InternalError("Zoho " + std::to_string(response.status) + ": reply has " +
                               std::to_string(data != nullptr && data->is_array()
                                                  ? data->as_array().size()
                                                  : 0) +
                               " results for " + std::to_string(expected) + " records"));
  }
  return std::move(json->as_object().at("data").as_array());
}

}  // namespace

std::string FormatZohoTime(Clock::TimePoint time) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{secs - days};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d+00:00", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<Clock::TimePoint> ParseZohoTime(std::string_view text) {
  if (text.size() < 20) return std::nullopt;
  auto local = ParseTimestamp(text.substr(0, 19));
  if (!local) return std::nullopt;
  const std::string_view zone = text.substr(19);
  std::chrono::minutes offset{0};
  if (zone != "Z") {
    auto digit = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(zone[i])) != 0; };
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !digit(1) ||
        !digit(2) || !digit(4) || !digit(5)) {
      return std::nullopt;
    }
    offset = std::chrono::hours((zone[1] - '0') * 10 + (zone[2] - '0')) +
             std::chrono::minutes((zone[4] - '0') * 10 + (zone[5] - '0'));
    if (zone[0] == '-') offset = -offset;
  }
  const auto days = std::chrono::sys_days(std::chrono::year(local->year) /
                                          std::chrono::month(static_cast<unsigned>(local->month)) /
                                          std::chrono::day(static_cast<unsigned>(local->day)));
  return Clock::TimePoint(days.time_since_epoch()) + std::chrono::hours(local->hour) +
         std::chrono::minutes(local->minute) + std::chrono::seconds(local->second) +
         std::chrono::microseconds(local->microsecond) - offset;
}

struct ZohoClient::Call {
  std::string method = "GET";
  std::string path;  // "/crm/v8/Leads?fields=..." (appended to the API base URL)
  Headers headers;
  std::string body;
  bool per_record = false;  // a 400/412 with a per-record "data" array is an answer
  bool idempotent = true;
  int credits = 1;
  Result<HttpResponse> outcome = Error(InternalError("call not sent"));
};

ZohoClient::ZohoClient(ClientOptions options, ZohoAuth& auth, HttpTransport& transport,
                       Clock& clock)
    : options_(std::move(options)), auth_(auth), transport_(transport), clock_(clock) {
  options_.max_concurrency = std::max(1, options_.max_concurrency);
  options_.batch_size = std::clamp(options_.batch_size, 1, kMaxBatch);
  if (!options_.random) options_.random = retry::DefaultRandom();
  free_slots_ = options_.max_concurrency;
}

ClientStats ZohoClient::stats() const {
  return ClientStats{calls_.load(), retries_.load(), credits_.load()};
}

int ZohoClient::AcquireSlots(int wanted) {
  std::unique_lock<std::mutex> lock(slots_mu_);
  slots_cv_.wait(lock, [this] { return free_slots_ > 0; });
  const int granted = std::min(wanted, free_slots_);
  free_slots_ -= granted;
  return granted;
}

void ZohoClient::ReleaseSlots(int count) {
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    free_slots_ += count;
  }
  slots_cv_.notify_all();
}

Status ZohoClient::Redact(Status status) {
  if (status.ok()) return status;
  const std::vector<std::string> secrets = auth_.SecretsForRedaction();
  Status clean(status.code(), RedactSecrets(status.message(), secrets));
  for (const auto& [k, v] : status.payloads()) clean.SetPayload(k, RedactSecrets(v, secrets));
  return clean;
}

void ZohoClient::Execute(std::vector<Call>& calls) {
  std::vector<size_t> queue(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) queue[i] = i;
  std::vector<int> attempts(calls.size(), 0);
  std::vector<int> refreshes(calls.size(), 0);
  // Rounds of a few windows each: a failure that concerns every call (a
  // revoked token, a 429 storm) is acted on after at most one round.
  const size_t round_size = static_cast<size_t>(options_.max_concurrency) * 4;
  while (!queue.empty()) {
    const size_t take = std::min(queue.size(), round_size);
    std::vector<size_t> pending(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(take));
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(take));
    std::vector<HttpRequest> requests;
    requests.reserve(pending.size());
    for (size_t i : pending) {
      const Call& c = calls[i];
      HttpRequest r;
      r.method = c.method;
      r.url = c.path;  // the base URL is added by `prepare`
      r.headers = c.headers;
      if (!c.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
      r.body = c.body;
      r.timeout = options_.request_timeout;
      requests.push_back(std::move(r));
    }
    // The token is taken when each request starts, so a long batch never runs
    // on an expired one; `used` remembers which token each request carried.
    std::vector<std::string> used(pending.size());
    std::vector<Clock::TimePoint> started(pending.size());
    auto prepare = [this, &used, &started](size_t k, HttpRequest& r) -> Status {
      started[k] = clock_.Now();
      Result<ZohoAuth::Token> token = auth_.GetToken();
      if (!token.has_value()) {
        Status s = Redact(token.error());
        s.SetPayload("not_sent", "1");
        return s;
      }
      r.url = token->api_base_url + r.url;
      r.headers.emplace_back("Authorization", "Zoho-oauthtoken " + token->access_token);
      used[k] = std::move(token->access_token);
      return Status::Ok();
    };
    const int slots =
        AcquireSlots(static_cast<int>(std::min<size_t>(pending.size(),
                                                       static_cast<size_t>(options_.max_concurrency))));
    std::vector<Result<HttpResponse>> results =
        transport_.SendAll(std::move(requests), slots, prepare);
    ReleaseSlots(slots);
    calls_ += static_cast<int64_t>(pending.size());
    NoteServerClock(results, started, clock_.Now());

    std::vector<size_t> again;
    Clock::Duration wait{0};
    std::string rejected;  // a token the API refused
    for (size_t k = 0; k < pending.size(); ++k) {
      const size_t i = pending[k];
      Call& c = calls[i];
      ++attempts[i];
      const std::string what = c.method + " " + c.path.substr(0, c.path.find('?'));
      Status st = results[k].has_value() ? ResponseStatus(*results[k], c.per_record, what)
                                         : results[k].error();
      if (st.ok()) {
        credits_ += c.credits;
        c.outcome = std::move(results[k]);
        continue;
      }
      retry::Decision d = retry::Decide(
          options_.retry,
          retry::Attempt{st.code(), attempts[i], refreshes[i], RetryAfterOf(st)},
          options_.random);
      const bool ambiguous =
          (st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kDeadlineExceeded) &&
          !NotSent(st);
      if (d.retry() && ambiguous && !c.idempotent && !options_.retry_ambiguous_inserts) {
        d = retry::Decision{};
      }
      if (!d.retry()) {
        Log().Warn("call failed", {{"call", what},
                                   {"attempts", attempts[i]},
                                   {"error", Redact(st).ToString()}});
        c.outcome = Error(Redact(std::move(st)));
        continue;
      }
      ++retries_;
      Log().Debug("retrying", {{"call", what},
                               {"attempt", attempts[i]},
                               {"code", std::string(StatusCodeName(st.code()))},
                               {"delay_ms", static_cast<int64_t>(d.delay.count() / 1000)}});
      if (d.action == retry::Action::kRefreshAuth) {
        ++refreshes[i];
        rejected = used[k];
      }
      wait = std::max(wait, d.delay);
      again.push_back(i);
    }
    if (!rejected.empty()) {
      Result<ZohoAuth::Token> fresh = auth_.Refresh(rejected);
      if (!fresh.has_value()) {
        for (size_t i : again) calls[i].outcome = Error(Redact(fresh.error()));
        again.clear();
      }
    }
    if (wait.count() > 0) clock_.SleepFor(wait);
    queue.insert(queue.begin(), again.begin(), again.end());  // retries go first
  }
}

void ZohoClient::NoteServerClock(const std::vector<Result<HttpResponse>>& results,
                                 const std::vector<Clock::TimePoint>& started,
                                 Clock::TimePoint round_end) {
  // The server stamped Date somewhere in [sent, received]; the narrowest
  // window of the round gives the sample with the least uncertainty.
  std::optional<ClockSample> best;
  for (size_t k = 0; k < results.size(); ++k) {
    const auto& r = results[k];
    if (!r.has_value()) continue;
    auto header = r->Header("Date");
    if (!header) continue;
    auto date = ParseHttpDate(*header);
    if (!date) continue;
    const Clock::TimePoint sent = r->sent_at.value_or(k < started.size() ? started[k] : round_end);
    const Clock::TimePoint received = std::max(sent, r->received_at.value_or(round_end));
    const Clock::Duration window = received - sent;
    if (best && best->window <= window) continue;
    const Clock::TimePoint middle = sent + window / 2;
    const auto offset = std::chrono::duration_cast<Clock::Duration>(
        *date + std::chrono::milliseconds(500) - middle.time_since_epoch() -
        std::chrono::system_clock::time_point());
    best = ClockSample{offset, window, received};
  }
  if (!best) return;
  std::lock_guard<std::mutex> lock(clock_mu_);
  if (!clock_sample_ || best->window <= clock_sample_->window ||
      best->taken_at - clock_sample_->taken_at > std::chrono::minutes(10)) {
    clock_sample_ = *best;
  }
}

std::optional<Clock::Duration> ZohoClient::ClockOffset() const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  if (!clock_sample_) return std::nullopt;
  return clock_sample_->offset;
}

Result<HttpResponse> ZohoClient::ExecuteOne(Call call) {
  std::vector<Call> calls;
  calls.push_back(std::move(call));
  Execute(calls);
  return std::move(calls.front().outcome);
}

struct PreparedWrite::State {
  bool insert = false;  // else an update or upsert
  size_t records = 0;
  std::vector<ZohoClient::Call> calls;
  std::vector<std::vector<size_t>> members;  // per call: the input indexes it carries
};

PreparedWrite::PreparedWrite(std::unique_ptr<State> state) : state_(std::move(state)) {}
PreparedWrite::PreparedWrite(PreparedWrite&&) noexcept = default;
PreparedWrite& PreparedWrite::operator=(PreparedWrite&&) noexcept = default;
PreparedWrite::~PreparedWrite() = default;
size_t PreparedWrite::size() const { return state_ ? state_->records : 0; }

Result<PreparedWrite> ZohoClient::Prepare(
    WriteKind kind, std::string_view module, std::vector<Record> records,
    const std::vector<std::string>& duplicate_check_fields,
    const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
    const WriteOptions& write) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  if (kind == WriteKind::kUpdate) {
    for (size_t i = 0; i < records.size(); ++i) {
      auto it = records[i].find("id");
      if (it == records[i].end() || !it->second.is_string() || it->second.as_string().empty()) {
        return Error(InvalidArgumentError("update: record " + std::to_string(i) +
                                          " has no \"id\" string"));
      }
    }
  }
  if (!unmodified_since.empty() && unmodified_since.size() != records.size()) {
    return Error(InvalidArgumentError("update: " + std::to_string(unmodified_since.size()) +
                                      " If-Unmodified-Since times for " +
                                      std::to_string(records.size()) + " records"));
  }
  // Zoho takes one If-Unmodified-Since per call, in whole seconds: records
  // go in calls with the others of the same second (in input order), so
  // none is checked against another's time. Without times, one group.
  std::vector<std::pair<std::optional<Clock::TimePoint>, std::vector<size_t>>> groups;
  {
    std::map<std::optional<Clock::TimePoint>, size_t> group_of;
    for (size_t i = 0; i < records.size(); ++i) {
      std::optional<Clock::TimePoint> t;
      if (!unmodified_since.empty() && unmodified_since[i]) {
        t = std::chrono::floor<std::chrono::seconds>(*unmodified_since[i]);
      }
      auto [it, added] = group_of.emplace(t, groups.size());
      if (added) groups.push_back({t, {}});
      groups[it->second].second.push_back(i);
    }
  }
  auto state = std::make_unique<PreparedWrite::State>();
  state->insert = kind == WriteKind::kInsert;
  state->records = records.size();
  const size_t batch = static_cast<size_t>(options_.batch_size);
  for (const auto& [since, members] : groups) {
    for (size_t start = 0; start < members.size(); start += batch) {
      const size_t end = std::min(members.size(), start + batch);
      std::vector<size_t> in_call(members.begin() + static_cast<std::ptrdiff_t>(start),
                                  members.begin() + static_cast<std::ptrdiff_t>(end));
      JsonValue::Array data;
      data.reserve(in_call.size());
      for (size_t i : in_call) data.emplace_back(std::move(records[i]));
      JsonValue::Object body;
      body.emplace("data", JsonValue(std::move(data)));
      if (write.trigger) {
        JsonValue::Array trigger;
        for (const std::string& t : *write.trigger) trigger.emplace_back(t);
        body.emplace("trigger", JsonValue(std::move(trigger)));
      }
      Call c;
      c.per_record = true;
      c.credits = WriteCredits(in_call.size());
      switch (kind) {
        case WriteKind::kInsert:
          c.method = "POST";
          c.path = "/crm/v8/" + std::string(module);
          c.idempotent = false;
          break;
        case WriteKind::kUpdate:
          c.method = "PUT";
          c.path = "/crm/v8/" + std::string(module);
          if (since) c.headers.emplace_back("If-Unmodified-Since", FormatZohoTime(*since));
          break;
        case WriteKind::kUpsert: {
          c.method = "POST";
          c.path = "/crm/v8/" + std::string(module) + "/upsert";
          JsonValue::Array dcf;
          for (const std::string& f : duplicate_check_fields) dcf.emplace_back(f);
          if (!dcf.empty()) body.emplace("duplicate_check_fields", JsonValue(std::move(dcf)));
          break;
        }
      }
      c.body = ToJson(JsonValue(std::move(body)));
      state->calls.push_back(std::move(c));
      state->members.push_back(std::move(in_call));
    }
  }
  return PreparedWrite(std::move(state));
}

void ZohoClient::Send(PreparedWrite& write) {
  if (write.state_) Execute(write.state_->calls);
}

std::vector<RecordResult> ZohoClient::Finish(PreparedWrite write) {
  if (!write.state_) return {};
  const PreparedWrite::State& state = *write.state_;
  std::vector<RecordResult> out(state.records);
  for (size_t b = 0; b < state.calls.size(); ++b) {
    const std::vector<size_t>& members = state.members[b];
    const size_t count = members.size();
    const Result<HttpResponse>& outcome = state.calls[b].outcome;
    Result<JsonValue::Array> items = outcome.has_value()
                                         ? ReplyItems(*outcome, count)
                                         : Result<JsonValue::Array>(Error(outcome.error()));
    for (size_t j = 0; j < count; ++j) {
      RecordResult& r = out[members[j]];
      if (!items.has_value()) {
        r.status = items.error();
        r.call_failed = true;
        continue;
      }
      const JsonValue& item = (*items)[j];
      r.status = RecordStatus(item, outcome->status);
      if (const JsonValue* details = item.Find("details"); details != nullptr) {
        r.id = details->GetString("id");
        r.modified_time = details->GetString("Modified_Time");
      }
      r.action = item.GetString("action");
      if (r.action.empty() && r.status.ok()) {
        r.action = state.insert ? "insert" : "update";
      }
    }
  }
  return out;
}

Result<std::vector<RecordResult>> ZohoClient::Write(
    WriteKind kind, std::string_view module, std::vector<Record> records,
    const std::vector<std::string>& duplicate_check_fields,
    const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
    const WriteOptions& write) {
  ZCRMSYNC_ASSIGN_OR_RETURN(PreparedWrite prepared,
                            Prepare(kind, module, std::move(records), duplicate_check_fields,
                                    unmodified_since, write));
  Send(prepared);
  return Finish(std::move(prepared));
}

Result<PreparedWrite> ZohoClient::PrepareUpdate(std::string_view module, std::vector<Record> records,
                                                std::optional<Clock::TimePoint> if_unmodified_since,
                                                const WriteOptions& write) {
  const size_t n = records.size();
  return Prepare(WriteKind::kUpdate, module, std::move(records), {},
                 std::vector<std::optional<Clock::TimePoint>>(n, if_unmodified_since), write);
}

Result<PreparedWrite> ZohoClient::PrepareUpdate(
    std::string_view module, std::vector<Record> records,
    const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
    const WriteOptions& write) {
  return Prepare(WriteKind::kUpdate, module, std::move(records), {}, unmodified_since, write);
}

Result<PreparedWrite> ZohoClient::PrepareUpsert(
    std::string_view module, std::vector<Record> records,
    const std::vector<std::string>& duplicate_check_fields, const WriteOptions& write) {
  return Prepare(WriteKind::kUpsert, module, std::move(records), duplicate_check_fields, {},
                 write);
}

Result<std::vector<RecordResult>> ZohoClient::Insert(std::string_view module,
                                                     const std::vector<Record>& records,
                                                     const WriteOptions& write) {
  return Write(WriteKind::kInsert, module, records, {}, {}, write);
}

Result<std::vector<RecordResult>> ZohoClient::Update(
    std::string_view module, const std::vector<Record>& records,
    std::optional<Clock::TimePoint> if_unmodified_since, const WriteOptions& write) {
  return Write(WriteKind::kUpdate, module, records, {},
               std::vector<std::optional<Clock::TimePoint>>(records.size(), if_unmodified_since),
               write);
}

Result<std::vector<RecordResult>> ZohoClient::Update(
    std::string_view module, const std::vector<Record>& records,
    const std::vector<std::optional<Clock::TimePoint>>& unmodified_since,
    const WriteOptions& write) {
  return Write(WriteKind::kUpdate, module, records, {}, unmodified_since, write);
}

Result<std::vector<RecordResult>> ZohoClient::Upsert(
    std::string_view module, const std::vector<Record>& records,
    const std::vector<std::string>& duplicate_check_fields, const WriteOptions& write) {
  return Write(WriteKind::kUpsert, module, records, duplicate_check_fields, {}, write);
}

Result<std::vector<RecordResult>> ZohoClient::Delete(std::string_view module,
                                                     const std::vector<std::string>& ids) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  const size_t batch = static_cast<size_t>(options_.batch_size);
  std::vector<Call> calls;
  for (size_t start = 0; start < ids.size(); start += batch) {
    const size_t end = std::min(ids.size(), start + batch);
    Call c;
    c.method = "DELETE";
    c.path = "/crm/v8/" + std::string(module) + "?ids=" +
             JoinEncoded(std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                                  ids.begin() + static_cast<std::ptrdiff_t>(end)));
    c.per_record = true;
    calls.push_back(std::move(c));
  }
  Execute(calls);
  std::vector<RecordResult> out(ids.size());
  for (size_t b = 0; b < calls.size(); ++b) {
    const size_t start = b * batch;
    const size_t count = std::min(ids.size(), start + batch) - start;
    const Result<HttpResponse>& outcome = calls[b].outcome;
    Result<JsonValue::Array> items = outcome.has_value()
                                         ? ReplyItems(*outcome, count)
                                         : Result<JsonValue::Array>(Error(outcome.error()));
    for (size_t j = 0; j < count; ++j) {
      RecordResult& r = out[start + j];
      r.id = ids[start + j];
      if (!items.has_value()) {
        r.status = items.error();
        r.call_failed = true;
        continue;
      }
      const JsonValue& item = (*items)[j];
      r.status = RecordStatus(item, outcome->status);
      if (r.status.ok()) {
        r.action = "delete";
      } else if (item.GetString("code") == "INVALID_DATA") {
        // On delete, INVALID_DATA means the id is gone (already deleted).
        Status nf = NotFoundError("delete " + r.id + ": no such record (already deleted?)");
        for (const auto& [k, v] : r.status.payloads()) nf.SetPayload(k, v);
        r.status = std::move(nf);
      }
    }
  }
  return out;
}

Result<std::vector<Record>> ZohoClient::GetByIds(std::string_view module,
                                                 const std::vector<std::string>& ids,
                                                 const std::vector<std::string>& fields) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  ZCRMSYNC_RETURN_IF_ERROR(CheckFields(fields));
  std::vector<Call> calls;
  for (size_t start = 0; start < ids.size(); start += kMaxBatch) {
    const size_t end = std::min(ids.size(), start + kMaxBatch);
    Call c;
    c.path = "/crm/v8/" + std::string(module) + "?fields=" + JoinEncoded(fields) + "&ids=" +
             JoinEncoded(std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                                  ids.begin() + static_cast<std::ptrdiff_t>(end)));
    calls.push_back(std::move(c));
  }
  Execute(calls);
  std::vector<Record> out;
  for (Call& c : calls) {
    if (!c.outcome.has_value()) return Error(c.outcome.error());
    if (c.outcome->status == 204 || c.outcome->body.empty()) continue;
    ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(c.outcome->body));
    const JsonValue* data = json.Find("data");
    if (data == nullptr || !data->is_array()) continue;
    for (const JsonValue& rec : data->as_array()) {
      if (rec.is_object()) out.push_back(rec.as_object());
    }
  }
  return out;
}

Status ZohoClient::ScanModified(std::string_view module, std::vector<std::string> fields,
                                const ListPosition& from,
                                const std::function<Status(ListPage&&)>& on_page) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  if (std::find(fields.begin(), fields.end(), "Modified_Time") == fields.end()) {
    fields.push_back("Modified_Time");
  }
  ZCRMSYNC_RETURN_IF_ERROR(CheckFields(fields));
  for (const std::string& f : fields) ZCRMSYNC_RETURN_IF_ERROR(CheckApiName(f));
  const std::string base = "/crm/v8/" + std::string(module) + "?fields=" + JoinEncoded(fields) +
                           "&sort_by=Modified_Time&sort_order=asc&per_page=" +
                           std::to_string(kPerPage);
  ListPosition pos = from;
  if (pos.time) pos.time = std::chrono::floor<std::chrono::seconds>(*pos.time);
  // The ids delivered with Modified_Time in pos.time's second: a restart
  // there lists them again.
  std::set<std::string> seen;
  bool by_id = pos.time.has_value() && !pos.after_id.empty();
  while (true) {
    if (by_id) {
      ZCRMSYNC_RETURN_IF_ERROR(ScanSecond(module, fields, pos, seen, on_page));
      pos = ListPosition{*pos.time + std::chrono::seconds(1), ""};
      seen.clear();
      by_id = false;
      continue;
    }
    Call c;
    c.path = base;
    // "Modified after": one second before, so pos.time's second is included.
    if (pos.time) {
      c.headers.emplace_back("If-Modified-Since",
                             FormatZohoTime(*pos.time - std::chrono::seconds(1)));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(HttpResponse response, ExecuteOne(std::move(c)));
    if (response.status == 204 || response.status == 304 || response.body.empty()) {
      return Status::Ok();
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(response.body));
    std::vector<Record> records;
    if (const JsonValue* data = json.Find("data"); data != nullptr && data->is_array()) {
      for (const JsonValue& rec : data->as_array()) {
        if (rec.is_object()) records.push_back(rec.as_object());
      }
    }
    if (records.empty()) return Status::Ok();
    std::vector<Clock::TimePoint> times;
    for (const Record& r : records) {
      auto t = r.find("Modified_Time");
      auto when = t != r.end() && t->second.is_string() ? ParseZohoTime(t->second.as_string())
                                                        : std::nullopt;
      if (!when) {
        auto id = r.find("id");
        return InternalError(
            "list " + std::string(module) + ": record " +
            (id != r.end() && id->second.is_string() ? id->second.as_string() : std::string("?")) +
            " has no readable Modified_Time");
      }
      times.push_back(std::chrono::floor<std::chrono::seconds>(*when));
    }
    const JsonValue* info = json.Find("info");
    const JsonValue* more_value = info != nullptr ? info->Find("more_records") : nullptr;
    const bool more = more_value != nullptr && more_value->is_bool() && more_value->as_bool();
    const Clock::TimePoint last = times.back();
    if (more && times.front() == last) {
      // More records share this second than a page holds: a restart at it
      // would list the same page again. They are read by id instead.
      if (pos.time != last) seen.clear();
      pos = ListPosition{last, ""};
      by_id = true;
      continue;
    }
    ListPage page;
    std::set<std::string> seen_last;
    for (size_t i = 0; i < records.size(); ++i) {
      const std::string id = records[i].contains("id") && records[i].at("id").is_string()
                                 ? records[i].at("id").as_string()
                                 : std::string();
      if (pos.time == times[i] && seen.contains(id)) continue;  // delivered already
      if (times[i] == last) seen_last.insert(id);
      page.records.push_back(std::move(records[i]));
    }
    if (pos.time == last) seen_last.merge(seen);
    seen = std::move(seen_last);
    pos = ListPosition{last, ""};
    page.next = pos;
    ZCRMSYNC_RETURN_IF_ERROR(on_page(std::move(page)));
    if (!more) return Status::Ok();
  }
}

Status ZohoClient::ScanSecond(std::string_view module, const std::vector<std::string>& fields,
                              const ListPosition& at, const std::set<std::string>& seen,
                              const std::function<Status(ListPage&&)>& on_page) {
  std::string select;
  for (const std::string& f : fields) select += (select.empty() ? "" : ", ") + f;
  std::string after = at.after_id;
  while (true) {
    if (!after.empty() && !std::all_of(after.begin(), after.end(),
                                       [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return InvalidArgumentError("list " + std::string(module) + ": record id '" +
                                  after.substr(0, 30) + "' is not a number");
    }
    const std::string query = "select " + select + " from " + std::string(module) +
                              " where Modified_Time = '" + FormatZohoTime(*at.time) + "'" +
                              (after.empty() ? "" : " and id > '" + after + "'") +
                              " order by id asc limit " + std::to_string(kPerPage);
    ZCRMSYNC_ASSIGN_OR_RETURN(CoqlResult result, Coql(query));
    ListPage page;
    for (Record& r : result.rows) {
      auto id = r.find("id");
      if (id == r.end() || !id->second.is_string()) continue;
      std::string text = id->second.as_string();
      if (!seen.contains(text)) page.records.push_back(std::move(r));
      after = std::move(text);
    }
    if (result.rows.empty()) return Status::Ok();
    page.next = ListPosition{at.time, after};
    ZCRMSYNC_RETURN_IF_ERROR(on_page(std::move(page)));
    if (!result.more_records) return Status::Ok();
  }
}

Result<std::vector<Record>> ZohoClient::ListModifiedSince(std::string_view module,
                                                          const std::vector<std::string>& fields,
                                                          std::optional<Clock::TimePoint> since) {
  ListPosition from;
  // "Modified after": Zoho's times are whole seconds.
  if (since) from.time = std::chrono::floor<std::chrono::seconds>(*since) + std::chrono::seconds(1);
  std::vector<Record> all;
  ZCRMSYNC_RETURN_IF_ERROR(ScanModified(module, fields, from, [&](ListPage&& page) {
    for (Record& r : page.records) all.push_back(std::move(r));
    return Status::Ok();
  }));
  return all;
}

Result<CoqlResult> ZohoClient::Coql(std::string_view select_query) {
  JsonValue::Object body;
  body.emplace("select_query", JsonValue(std::string(select_query)));
  Call c;
  c.method = "POST";
  c.path = "/crm/v8/coql";
  c.body = ToJson(JsonValue(std::move(body)));
  c.credits = CoqlCredits(select_query);
  ZCRMSYNC_ASSIGN_OR_RETURN(HttpResponse response, ExecuteOne(std::move(c)));
  CoqlResult out;
  if (response.status == 204 || response.body.empty()) return out;
  ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(response.body));
  if (const JsonValue* data = json.Find("data"); data != nullptr && data->is_array()) {
    for (const JsonValue& rec : data->as_array()) {
      if (rec.is_object()) out.rows.push_back(rec.as_object());
    }
  }
  if (const JsonValue* info = json.Find("info"); info != nullptr) {
    const JsonValue* more = info->Find("more_records");
    out.more_records = more != nullptr && more->is_bool() && more->as_bool();
  }
  return out;
}

Result<std::vector<DeletedRecord>> ZohoClient::DeletedSince(std::string_view module,
                                                            std::optional<Clock::TimePoint> since) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  std::vector<DeletedRecord> out;
  for (int page = 1;; ++page) {
    Call c;
    c.path = "/crm/v8/" + std::string(module) + "/deleted?type=all&per_page=" +
             std::to_string(kPerPage) + "&page=" + std::to_string(page);
    c.credits = 2;
    if (since) c.headers.emplace_back("If-Modified-Since", FormatZohoTime(*since));
    ZCRMSYNC_ASSIGN_OR_RETURN(HttpResponse response, ExecuteOne(std::move(c)));
    if (response.status == 204 || response.status == 304 || response.body.empty()) return out;
    ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(response.body));
    if (const JsonValue* data = json.Find("data"); data != nullptr && data->is_array()) {
      for (const JsonValue& item : data->as_array()) {
        DeletedRecord d;
        d.id = item.GetString("id");
        d.display_name = item.GetString("display_name");
        d.type = item.GetString("type");
        d.deleted_time = item.GetString("deleted_time");
        out.push_back(std::move(d));
      }
    }
    const JsonValue* info = json.Find("info");
    const JsonValue* more = info != nullptr ? info->Find("more_records") : nullptr;
    if (more == nullptr || !more->is_bool() || !more->as_bool()) return out;
  }
}

Result<std::vector<FieldInfo>> ZohoClient::Fields(std::string_view module) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  Call c;
  c.path = "/crm/v8/settings/fields?module=" + std::string(module);
  ZCRMSYNC_ASSIGN_OR_RETURN(HttpResponse response, ExecuteOne(std::move(c)));
  ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(response.body));
  std::vector<FieldInfo> out;
  const JsonValue* fields = json.Find("fields");
  if (fields == nullptr || !fields->is_array()) return out;
  auto flag = [](const JsonValue& o, std::string_view key) {
    const JsonValue* v = o.Find(key);
    return v != nullptr && v->is_bool() && v->as_bool();
  };
  for (const JsonValue& f : fields->as_array()) {
    FieldInfo info;
    info.api_name = f.GetString("api_name");
    info.data_type = f.GetString("data_type");
    info.json_type = f.GetString("json_type");
    if (const JsonValue* len = f.Find("length"); len != nullptr && len->is_int()) {
      info.length = len->as_int();
    }
    info.read_only = flag(f, "read_only") || flag(f, "field_read_only");
    info.system_mandatory = flag(f, "system_mandatory");
    info.custom_field = flag(f, "custom_field");
    // Zoho writes "unique": {} for ordinary fields, {"casesensitive": ...} for unique ones.
    if (const JsonValue* u = f.Find("unique"); u != nullptr) {
      info.unique = (u->is_object() && !u->as_object().empty()) || (u->is_bool() && u->as_bool());
    }
    if (const JsonValue* l = f.Find("lookup"); l != nullptr) {
      if (const JsonValue* lm = l->Find("module"); lm != nullptr) info.lookup_module = lm->GetString("api_name");
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<int64_t> ZohoClient::Count(std::string_view module) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckModule(module));
  Call c;
  c.path = "/crm/v8/" + std::string(module) + "/actions/count";
  ZCRMSYNC_ASSIGN_OR_RETURN(HttpResponse response, ExecuteOne(std::move(c)));
  if (response.status == 204 || response.body.empty()) return int64_t{0};
  ZCRMSYNC_ASSIGN_OR_RETURN(JsonValue json, ParseJson(response.body));
  // Zoho's schema types it a string; the emulator (and Zoho's SDK) a number.
  if (const JsonValue* count = json.Find("count"); count != nullptr) {
    if (count->is_int() && count->as_int() >= 0) return count->as_int();
    if (count->is_string() && !count->as_string().empty() && count->as_string().size() <= 18 &&
        std::all_of(count->as_string().begin(), count->as_string().end(),
                    [](unsigned char ch) { return std::isdigit(ch) != 0; })) {
      return static_cast<int64_t>(std::stoll(count->as_string()));
    }
  }
  return Error(InternalError("count of " + std::string(module) + ": no count in Zoho's reply"));
}

}  // namespace zcrmsync::crm
