// The sd_notify sender against real AF_UNIX datagram sockets, one bound to a
// path and one in the abstract namespace, named through $NOTIFY_SOCKET exactly
// as systemd does for a Type=notify service.
#include "agent/service_notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/posix/service_notify_internal.h"
#include "core/log.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::agent {
namespace {

using service_notify_internal::SendNotification;
using service_notify_internal::StatusMessage;
using ::testing::HasSubstr;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;

// A datagram socket standing in for systemd's notify socket. `name` starting
// with '@' binds in the abstract namespace; otherwise it is a path.
class FakeServiceManager {
 public:
  explicit FakeServiceManager(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (name.starts_with('@')) {
      std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    } else {
      std::memcpy(addr.sun_path, name.data(), name.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
    }
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0;
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  ~FakeServiceManager() {
    ::unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) ::close(fd_);
    if (!name_.starts_with('@')) ::unlink(name_.c_str());
  }

  bool bound() const { return bound_; }

  // The next datagram, or nullopt after 2 s without one.
  std::optional<std::string> Receive() {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 2000) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zcrmsync-notify-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log::SetOutputForTesting(&logs_);
  }
  void TearDown() override {
    log::SetOutputForTesting(nullptr);
    ::unsetenv("NOTIFY_SOCKET");
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::ostringstream logs_;
};

TEST_F(ServiceNotifyTest, PathSocketReceivesEachNotification) {
  FakeServiceManager systemd(dir_ + "/notify");
  ASSERT_TRUE(systemd.bound());

  NotifyReady();
  EXPECT_EQ(systemd.Receive(), "READY=1");
  NotifyStatus("cycle 12: pushed 40, pulled 3");
  EXPECT_EQ(systemd.Receive(), "STATUS=cycle 12: pushed 40, pulled 3");
  NotifyWatchdog();
  EXPECT_EQ(systemd.Receive(), "WATCHDOG=1");
  NotifyStopping();
  EXPECT_EQ(systemd.Receive(), "STOPPING=1");
  EXPECT_EQ(logs_.str(), "");
}

TEST_F(ServiceNotifyTest, AbstractSocketReceivesNotification) {
  FakeServiceManager systemd("@zcrmsync-notify-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(systemd.bound());

  NotifyReady();
  EXPECT_EQ(systemd.Receive(), "READY=1");
  NotifyWatchdog();
  EXPECT_EQ(systemd.Receive(), "WATCHDOG=1");
}

TEST_F(ServiceNotifyTest, StatusStaysOneAssignment) {
  FakeServiceManager systemd(dir_ + "/notify");
  ASSERT_TRUE(systemd.bound());

  // A newline would start a second KEY=VALUE line, e.g. a forged READY=1.
  NotifyStatus("error: db down\nREADY=1");
  EXPECT_EQ(systemd.Receive(), "STATUS=error: db down READY=1");
}

TEST_F(ServiceNotifyTest, WithoutNotifySocketEachCallIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  NotifyReady();
  NotifyStatus("idle");
  NotifyWatchdog();
  NotifyStopping();
  ::setenv("NOTIFY_SOCKET", "", 1);
  NotifyReady();
  EXPECT_EQ(logs_.str(), "");
}

TEST_F(ServiceNotifyTest, FailureIsLoggedOnceAndNeverFatal) {
  ::setenv("NOTIFY_SOCKET", (dir_ + "/nobody-listens").c_str(), 1);
  NotifyReady();
  for (int i = 0; i < 5; ++i) NotifyWatchdog();
  NotifyStopping();

  const std::string logs = logs_.str();
  EXPECT_THAT(logs, HasSubstr("cannot notify systemd"));
  EXPECT_THAT(logs, HasSubstr("READY"));
  EXPECT_EQ(std::count(logs.begin(), logs.end(), '\n'), 1) << logs;
}

TEST(SendNotificationTest, RefusesAddressesItCannotUse) {
  EXPECT_THAT(SendNotification("run/notify", "READY=1"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SendNotification("@", "READY=1"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SendNotification("vsock:2:1234", "READY=1"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SendNotification("/" + std::string(200, 'x'), "READY=1"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SendNotification("@" + std::string(200, 'x'), "READY=1"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SendNotificationTest, NoListenerIsUnavailable) {
  const Status s = SendNotification("/nonexistent-zcrmsync-dir/notify", "READY=1");
  EXPECT_THAT(s, StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent-zcrmsync-dir/notify"));
}

TEST(SendNotificationTest, LongestAbstractNameIsAccepted) {
  // sun_path is 108 bytes: a leading NUL plus 107 name bytes.
  const std::string name = "@" + std::string(107 - 10, 'z') + std::to_string(1000000000 + ::getpid() % 1000000000);
  ASSERT_EQ(name.size(), 108u);
  FakeServiceManager systemd(name);
  ASSERT_TRUE(systemd.bound());
  EXPECT_THAT(SendNotification(name, "WATCHDOG=1"), IsOk());
  EXPECT_EQ(systemd.Receive(), "WATCHDOG=1");
}

TEST(StatusMessageTest, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(StatusMessage("a\tb\r\nc\x7f" "d"), "STATUS=a b  c d");
  EXPECT_EQ(StatusMessage(""), "STATUS=");
}

TEST(StatusMessageTest, LongStatusIsCutAtACharacterBoundary) {
  // 999 ASCII bytes, then a two-byte character straddling the 1000-byte cut.
  const std::string status = std::string(999, 'a') + "\xc3\xa9" + std::string(50, 'b');
  const std::string message = StatusMessage(status);
  EXPECT_EQ(message, "STATUS=" + std::string(999, 'a'));
  EXPECT_EQ(StatusMessage(std::string(1000, 'a') + "tail"), "STATUS=" + std::string(1000, 'a'));
}

}  // namespace
}  // namespace zcrmsync::agent
