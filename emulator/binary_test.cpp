// e2e: runs the built zoho-emulator (path in argv[1]) with --port 0, checks
// that its first stdout line is "listening on http://127.0.0.1:PORT", that
// the port answers, and that SIGTERM saves --state.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

namespace {

std::string g_binary;

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(g_binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(g_binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fdopen(fds[0], "r")};
}

std::string FirstLine(FILE* f) {
  char buf[256] = {};
  if (std::fgets(buf, sizeof(buf), f) == nullptr) return "";
  return buf;
}

int Terminate(const Child& c) {
  kill(c.pid, SIGTERM);
  int status = 0;
  waitpid(c.pid, &status, 0);
  if (c.out != nullptr) std::fclose(c.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(BinaryTest, FirstLineAndStateFile) {
  const std::string state = ::testing::TempDir() + "emulator_state_" + std::to_string(getpid()) + ".json";
  std::remove(state.c_str());
  Child c = Spawn({"--port", "0", "--state", state, "--log-level", "off"});
  ASSERT_GT(c.pid, 0);
  std::string line = FirstLine(c.out);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)\n")))
      << line;
  int port = std::stoi(m[1]);
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Post(
      "/oauth/v2/token",
      "client_id=zcrmsync-demo&client_secret=zcrmsync-demo-secret&refresh_token=zcrmsync-demo-refresh&grant_type=refresh_token",
      "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("access_token"), std::string::npos) << res->body;
  EXPECT_EQ(Terminate(c), 0);
  std::ifstream in(state);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("\"modules\""), std::string::npos);
  std::remove(state.c_str());

  // A fixed port prints the same line.
  Child d = Spawn({"--port", std::to_string(port), "--log-level", "off"});
  EXPECT_EQ(FirstLine(d.out), "listening on http://127.0.0.1:" + std::to_string(port) + "\n");
  EXPECT_EQ(Terminate(d), 0);
}

TEST(BinaryTest, HelpListsFlags) {
  Child c = Spawn({"--help"});
  std::string all;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), c.out) != nullptr) all += buf;
  int status = 0;
  waitpid(c.pid, &status, 0);
  std::fclose(c.out);
  for (const char* flag : {"--port", "--client-id", "--client-secret", "--refresh-token", "--state",
                           "--admin", "--latency-ms", "--concurrency", "--credits", "--metadata",
                           "--token-lifetime"}) {
    EXPECT_NE(all.find(flag), std::string::npos) << flag;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH_TO_zoho-emulator\n", argv[0]);
    return 2;
  }
  g_binary = argv[1];
  return RUN_ALL_TESTS();
}
