// zoho-emulator: serves the Zoho CRM v8 emulator on 127.0.0.1.
// The first line on stdout is exactly "listening on http://127.0.0.1:PORT";
// tools wait for it. SIGINT/SIGTERM stop the server and save --state.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "core/log.h"
#include "emulator/emulator.h"

namespace po = boost::program_options;
using zcrmsync::emulator::Emulator;
using zcrmsync::emulator::Options;

int main(int argc, char** argv) {
  Options options;
  std::string state_file;
  std::string log_level = "info";
  po::options_description desc("zoho-emulator: a local Zoho CRM v8 emulator\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("port", po::value<int>(&options.port)->default_value(0), "port on 127.0.0.1 (0: pick a free port)")
    ("client-id", po::value<std::string>(&options.client_id)->default_value(options.client_id), "OAuth client id accepted")
    ("client-secret", po::value<std::string>(&options.client_secret)->default_value(options.client_secret), "OAuth client secret accepted")
    ("refresh-token", po::value<std::string>(&options.refresh_token)->default_value(options.refresh_token), "OAuth refresh token accepted")
    ("token-lifetime", po::value<int>(&options.token_lifetime_s)->default_value(options.token_lifetime_s), "access token lifetime, seconds")
    ("state", po::value<std::string>(&state_file), "state file: loaded at start if present, saved at SIGINT/SIGTERM")
    ("admin", po::bool_switch(&options.admin), "serve the /__admin/ endpoints (config, stats, state, reset)")
    ("latency-ms", po::value<int>(&options.latency_ms)->default_value(0), "fixed latency added to each /crm/ call, ms")
    ("jitter-ms", po::value<int>(&options.jitter_ms)->default_value(0), "random extra latency 0..N ms")
    ("concurrency", po::value<int>(&options.concurrency)->default_value(options.concurrency), "calls in flight before 429 TOO_MANY_REQUESTS")
    ("credits", po::value<int64_t>(&options.credits)->default_value(options.credits), "API credits per rolling 24 h")
    ("fault-500", po::value<double>(&options.fault_500)->default_value(0), "share (0..1) of calls answered 500 INTERNAL_ERROR")
    ("fault-drop", po::value<double>(&options.fault_drop)->default_value(0), "share (0..1) of calls whose connection is dropped")
    ("fault-slow", po::value<double>(&options.fault_slow)->default_value(0), "share (0..1) of calls delayed by --slow-ms")
    ("fault-429", po::value<double>(&options.fault_429)->default_value(0), "share (0..1) of calls answered 429 TOO_MANY_REQUESTS (a rate-limit storm)")
    ("fault-locked", po::value<double>(&options.fault_locked)->default_value(0), "share (0..1) of record writes (update, upsert of an existing record, delete) answered RECORD_LOCKED")
    ("slow-ms", po::value<int>(&options.slow_ms)->default_value(options.slow_ms), "delay of a slow call, ms")
    ("metadata", po::value<std::string>(&options.metadata_file), "metadata JSON file (default: built-in modules)")
    ("org-offset-minutes", po::value<int>(&options.org_offset_minutes)->default_value(options.org_offset_minutes), "org time zone offset east of UTC, minutes")
    ("seed", po::value<uint64_t>(&options.seed)->default_value(options.seed), "random seed for jitter and faults")
    ("log-level", po::value<std::string>(&log_level)->default_value(log_level), "trace|debug|info|warn|error|off (stderr)");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "zoho-emulator: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help") != 0U) {
    std::cout << desc << "\n";
    return 0;
  }
  auto level = zcrmsync::log::ParseLevel(log_level);
  if (!level.has_value()) {
    std::cerr << "zoho-emulator: " << level.error().ToString() << "\n";
    return 2;
  }
  zcrmsync::log::Configure({*level, zcrmsync::log::Format::kText});
  options.state_file = state_file;

  // Block the stop signals before any thread starts; main waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto emulator = Emulator::Create(options);
  if (!emulator.has_value()) {
    std::cerr << "zoho-emulator: " << emulator.error().ToString() << "\n";
    return 1;
  }
  if (!state_file.empty()) {
    std::FILE* f = std::fopen(state_file.c_str(), "rb");
    if (f != nullptr) {
      std::fclose(f);
      zcrmsync::Status s = (*emulator)->LoadStateFile(state_file);
      if (!s.ok()) {
        std::cerr << "zoho-emulator: " << s.ToString() << "\n";
        return 1;
      }
    }
  }
  auto port = (*emulator)->Start();
  if (!port.has_value()) {
    std::cerr << "zoho-emulator: " << port.error().ToString() << "\n";
    return 1;
  }
  std::cout << "listening on http://127.0.0.1:" << *port << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  (*emulator)->Stop();
  if (!state_file.empty()) {
    zcrmsync::Status s = (*emulator)->SaveStateFile(state_file);
    if (!s.ok()) {
      std::cerr << "zoho-emulator: " << s.ToString() << "\n";
      return 1;
    }
  }
  return 0;
}
