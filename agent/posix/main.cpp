// zcrmsync's entry point on Linux. SIGTERM and SIGINT ask a running `run` to
// finish the batch in flight, save its checkpoint, give up its lease and exit
// (agent/shutdown.h); a second one exits at once. SIGHUP asks it to re-read
// its config between cycles.
#include <signal.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <iostream>
#include <string>
#include <vector>

#include "agent/cli.h"
#include "agent/shutdown.h"

namespace {

extern "C" void OnStopSignal(int signal_number) {
  if (zcrmsync::agent::ShutdownRequested()) {
    // Second signal: exit now, without finishing the batch. Safe because of
    // crash safety (issue #5): each batch commits its results, links and cursor
    // in one transaction, and creates are upserts on the external id, so the
    // batch that was cut off is simply sent again by the next run.
    ::_exit(128 + signal_number);
  }
  zcrmsync::agent::RequestShutdown();
}

extern "C" void OnReloadSignal(int) { zcrmsync::agent::RequestReload(); }

void Install(int signal_number, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(signal_number, &action, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Buffers of 256 KiB and more (a change row of a big statement can hold
  // megabytes of keys) are mapped and unmapped on their own, so freeing one
  // returns it at once. glibc's default threshold rises to the largest
  // buffer freed, after which such buffers stay in the heap for good.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  Install(SIGTERM, OnStopSignal);
  Install(SIGINT, OnStopSignal);
  Install(SIGHUP, OnReloadSignal);
  // A health scraper that hangs up mid-answer must not kill the agent.
  Install(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return zcrmsync::agent::RunCli(args, std::cout, std::cerr);
}
