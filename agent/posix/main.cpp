// zcrmsync's entry point on Linux (and, until the Windows service shim of
// issue #6 exists, on Windows as a console program).
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return zcrmsync::agent::RunCli(args, std::cout, std::cerr);
}
