// The sd_notify protocol, written out rather than linked from libsystemd: it is
// one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or '@' for the abstract namespace), stable since
// systemd 209 and documented in sd_notify(3). Hand-writing it keeps
// libsystemd-dev out of the build and the same binary runs with or without systemd.
#include "agent/service_notify.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/posix/service_notify_internal.h"
#include "core/log.h"

namespace zcrmsync::agent {
namespace service_notify_internal {
namespace {

// systemd reads notifications into a buffer of PIPE_BUF (4096) bytes; a status
// line stays well inside it.
constexpr size_t kMaxStatusBytes = 1000;

// Closes the socket on every return path.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status SendNotification(std::string_view notify_socket, std::string_view message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t addr_len = 0;
  if (notify_socket.starts_with('@')) {
    // Abstract namespace: a leading NUL, and the length says where the name ends.
    const std::string_view name = notify_socket.substr(1);
    if (name.empty() || name.size() + 1 > sizeof(addr.sun_path)) {
      return InvalidArgumentError("NOTIFY_SOCKET \"" + std::string(notify_socket) +
                                  "\": abstract socket name is empty or too long");
    }
    std::memcpy(addr.sun_path + 1, name.data(), name.size());
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  } else if (notify_socket.starts_with('/')) {
    if (notify_socket.size() + 1 > sizeof(addr.sun_path)) {
      return InvalidArgumentError("NOTIFY_SOCKET \"" + std::string(notify_socket) +
                                  "\": path is too long for a unix socket");
    }
    std::memcpy(addr.sun_path, notify_socket.data(), notify_socket.size());
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + notify_socket.size() + 1);
  } else {
    // Relative paths are refused by libsystemd too; "vsock:" (VMs) is not supported here.
    return InvalidArgumentError("NOTIFY_SOCKET \"" + std::string(notify_socket) +
                                "\": not an absolute path or an '@' abstract socket");
  }

  ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return UnavailableError(std::string("socket(AF_UNIX, SOCK_DGRAM): ") + std::strerror(errno));
  }
  // A stalled service manager must not stall the sync loop: give up after 2 s.
  const timeval timeout{.tv_sec = 2, .tv_usec = 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

  ssize_t sent;
  do {
    sent = ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr), addr_len);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    return UnavailableError("send to NOTIFY_SOCKET \"" + std::string(notify_socket) +
                            "\": " + std::strerror(errno));
  }
  if (static_cast<size_t>(sent) != message.size()) {
    return UnavailableError("send to NOTIFY_SOCKET \"" + std::string(notify_socket) +
                            "\": datagram truncated");
  }
  return Status::Ok();
}

std::string StatusMessage(std::string_view status) {
  size_t cut = status.size();
  if (cut > kMaxStatusBytes) {
    cut = kMaxStatusBytes;
    // Back up over UTF-8 continuation bytes so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(status[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string message = "STATUS=";
  message.reserve(message.size() + cut);
  for (const char c : status.substr(0, cut)) {
    const auto u = static_cast<unsigned char>(c);
    message.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return message;
}

}  // namespace service_notify_internal

namespace {

std::atomic<bool> g_failure_logged{false};

void Notify(std::string_view message) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return;  // not started by systemd
  const Status status = service_notify_internal::SendNotification(socket, message);
  if (status.ok() || g_failure_logged.exchange(true)) return;
  // Once only: a broken socket would otherwise log every watchdog tick.
  const std::string_view what = message.substr(0, message.find('='));
  log::Logger("service").Warn("cannot notify systemd; further failures are not logged",
                              {{"notification", what}, {"error", status.ToString()}});
}

}  // namespace

void NotifyReady() { Notify("READY=1"); }

void NotifyStatus(std::string_view status) {
  Notify(service_notify_internal::StatusMessage(status));
}

void NotifyWatchdog() { Notify("WATCHDOG=1"); }

void NotifyStopping() { Notify("STOPPING=1"); }

}  // namespace zcrmsync::agent
