// Emulator: an in-process stand-in for Zoho CRM v8 (OAuth token endpoint,
// metadata, records, COQL, limits and faults), for tests and local runs.
// Handle() answers one request without sockets; Start() serves the same logic
// over HTTP on 127.0.0.1. Response shapes follow Zoho's v8 OpenAPI files and
// docs/reference; deviations chosen where Zoho's behaviour is unconfirmed are
// noted beside the code that makes them. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace zcrmsync::emulator {

// A watch-channel notification: the JSON body the emulator POSTs to a
// channel's notify_url when a watched record changes.
struct Notification {
  std::string url;
  std::string body;
};
// Receives notifications instead of HTTP delivery (tests). Called on the
// delivery thread, never under the emulator's lock.
using NotificationSink = std::function<void(const Notification&)>;

struct Options {
  int port = 0;  // 0: pick a free port
  std::string client_id = "zcrmsync-demo";
  std::string client_secret = "zcrmsync-demo-secret";
  std::string refresh_token = "zcrmsync-demo-refresh";
  int token_lifetime_s = 3600;
  int concurrency = 10;        // calls in flight on /crm/ before 429
  int64_t credits = 100'000;   // rolling 24 h credit budget
  int latency_ms = 0;          // fixed latency added to every /crm/ call
  int jitter_ms = 0;           // plus a uniform random 0..jitter_ms
  double fault_500 = 0;        // share of /crm/ calls answered 500 INTERNAL_ERROR
  double fault_drop = 0;       // share of calls whose connection is dropped
  double fault_slow = 0;       // share of calls delayed by slow_ms
  double fault_429 = 0;        // share of /crm/ calls answered 429 TOO_MANY_REQUESTS
  double fault_locked = 0;     // share of per-record writes answered RECORD_LOCKED
  int slow_ms = 5000;
  bool admin = false;          // serve /__admin/
  std::string metadata_file;   // empty: the built-in metadata
  std::string metadata_json;   // used instead of metadata_file when not empty
  std::string state_file;      // informational; LoadState/SaveState do the I/O
  int org_offset_minutes = 330;  // times render as +05:30, like Zoho's samples
  uint64_t seed = 1;             // RNG seed for jitter and faults
  Clock* clock = nullptr;        // nullptr: SystemClock()
  size_t notification_queue = 10'000;  // notifications waiting; more are dropped
  NotificationSink notification_sink;  // empty: POST to notify_url over HTTP
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/crm/v8/Leads" (no query)
  std::string query;   // raw query string, not decoded ("fields=a,b&page=2")
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Form fields already parsed by the HTTP layer (multipart bodies); the
  // engine also parses urlencoded and multipart bodies itself.
  std::vector<std::pair<std::string, std::string>> form;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool drop_connection = false;  // fault injection: close without answering
};

class Emulator {
 public:
  // INVALID_ARGUMENT through Create() when the metadata cannot be read.
  static Result<std::unique_ptr<Emulator>> Create(Options options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Answers one request. Never throws. Safe to call from many threads.
  HttpResponse Handle(const HttpRequest& request);

  // Serves Handle() on 127.0.0.1:options.port (0 picks a free port) on a
  // background thread. Returns the bound port. UNAVAILABLE if it cannot bind.
  Result<int> Start();
  // Stops serving; idempotent.
  void Stop();
  // "http://127.0.0.1:PORT" once started (PORT = options.port before).
  std::string base_url() const;

  // State as JSON (records, deleted records, id counter) and back.
  std::string ExportState() const;
  Status ImportState(const std::string& json);
  Status LoadStateFile(const std::string& path);
  Status SaveStateFile(const std::string& path) const;

  // Statistics as JSON: calls per "METHOD path-template", credits used,
  // 429s given, records per module, max concurrency observed.
  std::string StatsJson() const;

  // Issues an access token directly, as if refreshed. For tests.
  std::string IssueTokenForTesting();
  // Waits until every queued notification was delivered or failed; false on
  // timeout. For tests.
  bool WaitForNotificationsForTesting(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zcrmsync::emulator
