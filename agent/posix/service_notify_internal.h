// The sd_notify sender behind agent/service_notify.h, exposed for its tests.
// Not for other callers: use NotifyReady() and friends.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace zcrmsync::agent::service_notify_internal {

// Sends `message` ("READY=1", "STATUS=...", newline-separated assignments) as one
// datagram to `notify_socket`, the value of $NOTIFY_SOCKET: a filesystem path
// ("/run/systemd/notify") or an abstract socket name written with a leading '@'.
// Returns kInvalidArgument for an address it cannot use (relative, too long,
// another family such as "vsock:"), kUnavailable when the send fails.
Status SendNotification(std::string_view notify_socket, std::string_view message);

// "STATUS=<status>": control characters (a newline would end the assignment)
// become spaces and the text is cut, at a UTF-8 boundary, to a size systemd takes.
std::string StatusMessage(std::string_view status);

}  // namespace zcrmsync::agent::service_notify_internal
