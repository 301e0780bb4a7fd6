// crm_push_bench: pushes N records through the Zoho client (ZohoClient over
// CurlTransport) to the in-process emulator, which adds a latency of L ms to
// every API call and admits C calls in flight, and reports the throughput
// against the ideal C x 100 / L records/s (C calls of 100 records every L ms).
//
//   crm_push_bench [--records N] [--latency-ms L] [--concurrency C]
//                  [--batch B] [--op upsert|insert] [--module Leads]
//
// CPU time is reported two ways: the calling thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), which is all of the client's work (JSON
// building/parsing, libcurl multi loop: it runs on that thread); and the whole
// process's user+system time (getrusage), which also includes the in-process
// emulator's HTTP server and engine.
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/log.h"
#include "crm/curl_transport.h"
#include "crm/json.h"
#include "crm/zoho_auth.h"
#include "crm/zoho_client.h"
#include "emulator/emulator.h"

namespace {

using namespace zcrmsync;  // NOLINT: a small program

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--records N] [--latency-ms L] [--concurrency C] [--batch B]\n"
               "          [--op upsert|insert] [--module Leads]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int records = 5000;
  int latency_ms = 100;
  int concurrency = 10;
  int batch = 100;
  std::string op = "upsert";
  std::string module = "Leads";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage(argv[0]);
    if (i + 1 >= argc) return Usage(argv[0]);
    const char* value = argv[++i];
    if (arg == "--records") {
      records = std::atoi(value);
    } else if (arg == "--latency-ms") {
      latency_ms = std::atoi(value);
    } else if (arg == "--concurrency") {
      concurrency = std::atoi(value);
    } else if (arg == "--batch") {
      batch = std::atoi(value);
    } else if (arg == "--op") {
      op = value;
    } else if (arg == "--module") {
      module = value;
    } else {
      return Usage(argv[0]);
    }
  }
  if (records <= 0 || latency_ms <= 0 || concurrency <= 0 || batch <= 0 || batch > 100 ||
      (op != "upsert" && op != "insert")) {
    return Usage(argv[0]);
  }
  log::Configure({log::Level::kWarn, log::Format::kText});

  emulator::Options eo;
  eo.latency_ms = latency_ms;
  eo.concurrency = concurrency;  // the edition's limit: the client must respect it
  eo.credits = 1'000'000'000;
  auto emu = emulator::Emulator::Create(eo);
  if (!emu.has_value()) {
    std::fprintf(stderr, "emulator: %s\n", emu.error().ToString().c_str());
    return 1;
  }
  auto port = (*emu)->Start();
  if (!port.has_value()) {
    std::fprintf(stderr, "emulator: %s\n", port.error().ToString().c_str());
    return 1;
  }

  int exit_code = 0;
  {
    crm::CurlTransport transport;
    crm::AuthOptions ao;
    ao.client_id = eo.client_id;
    ao.client_secret = eo.client_secret;
    ao.refresh_token = eo.refresh_token;
    ao.accounts_url = (*emu)->base_url();
    ao.api_base_url = (*emu)->base_url();
    crm::ZohoAuth auth(ao, transport, SystemClock());
    crm::ClientOptions co;
    co.max_concurrency = concurrency;
    co.batch_size = batch;
    crm::ZohoClient client(co, auth, transport, SystemClock());

    std::vector<crm::Record> input;
    input.reserve(static_cast<size_t>(records));
    for (int i = 0; i < records; ++i) {
      const std::string n = std::to_string(i);
      crm::Record r{{"Last_Name", crm::JsonValue("Bench " + n)},
                    {"Company", crm::JsonValue("Company " + n)},
                    {"Email", crm::JsonValue("bench" + n + "@example.com")},
                    {"Phone", crm::JsonValue("+1 555 " + n)}};
      // Upsert matches on the unique ERP_Id. Inserts leave it out: the
      // emulator checks unique fields by a linear scan under its lock, which
      // would measure the emulator rather than the client.
      if (op == "upsert") r.emplace("ERP_Id", crm::JsonValue("B-" + n));
      input.push_back(std::move(r));
    }
    // The token is fetched before timing: steady state, as in a running agent.
    if (auto t = auth.GetToken(); !t.has_value()) {
      std::fprintf(stderr, "token: %s\n", t.error().ToString().c_str());
      return 1;
    }

    const double thread_cpu0 = ThreadCpuSeconds();
    const double process_cpu0 = ProcessCpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto results = op == "upsert" ? client.Upsert(module, input, {"ERP_Id"})
                                  : client.Insert(module, input);
    const auto t1 = std::chrono::steady_clock::now();
    const double thread_cpu = ThreadCpuSeconds() - thread_cpu0;
    const double process_cpu = ProcessCpuSeconds() - process_cpu0;

    if (!results.has_value()) {
      std::fprintf(stderr, "push: %s\n", results.error().ToString().c_str());
      return 1;
    }
    int failed = 0;
    for (const crm::RecordResult& r : *results) {
      if (!r.status.ok()) {
        if (failed++ == 0) std::fprintf(stderr, "first failure: %s\n", r.status.ToString().c_str());
      }
    }
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double rate = records / seconds;
    const double ideal = concurrency * 100.0 * 1000.0 / latency_ms * (batch / 100.0);
    const crm::ClientStats stats = client.stats();
    auto stats_json = crm::ParseJson((*emu)->StatsJson());
    auto stat = [&](const char* key) -> long long {
      if (!stats_json.has_value()) return -1;
      const crm::JsonValue* v = stats_json->Find(key);
      return v != nullptr && v->is_int() ? v->as_int() : -1;
    };

    std::printf("crm_push_bench: op=%s module=%s records=%d batch=%d concurrency=%d latency_ms=%d\n",
                op.c_str(), module.c_str(), records, batch, concurrency, latency_ms);
    std::printf("  elapsed               %.3f s\n", seconds);
    std::printf("  throughput            %.0f records/s\n", rate);
    std::printf("  ideal (C*%d/L)        %.0f records/s\n", batch, ideal);
    std::printf("  ratio to ideal        %.1f %%\n", 100.0 * rate / ideal);
    std::printf("  calls per record      %.4f (%lld calls, %lld retries)\n",
                static_cast<double>(stats.calls) / records, static_cast<long long>(stats.calls),
                static_cast<long long>(stats.retries));
    std::printf("  credits               %lld (emulator charged %lld)\n",
                static_cast<long long>(stats.credits), stat("credits_used_total"));
    std::printf("  client CPU per record %.1f us (calling thread: all client work)\n",
                1e6 * thread_cpu / records);
    std::printf("  process CPU / record  %.1f us (client + in-process emulator)\n",
                1e6 * process_cpu / records);
    std::printf("  emulator max in flight %lld, 429s %lld\n", stat("max_concurrency"),
                stat("too_many_requests"));
    std::printf("  failed records        %d\n", failed);
    if (failed > 0) exit_code = 1;
  }
  (*emu)->Stop();
  return exit_code;
}
