// zcrmsync's entry point on Linux (and, until the Windows service shim of
// issue #6 exists, on Windows as a console program). SIGTERM and SIGINT ask
// a running `run` to finish its cycle and stop.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli.h"
#include "agent/shutdown.h"

namespace {
extern "C" void OnSignal(int) { zcrmsync::agent::RequestShutdown(); }
}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::vector<std::string> args(argv + 1, argv + argc);
  return zcrmsync::agent::RunCli(args, std::cout, std::cerr);
}
