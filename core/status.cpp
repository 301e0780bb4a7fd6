#include "core/status.h"

namespace zcrmsync {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message)
    : code_(code), message_(code == StatusCode::kOk ? std::string() : std::move(message)) {}

Status& Status::SetPayload(std::string key, std::string value) {
  for (auto& [k, v] : payloads_) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  payloads_.emplace_back(std::move(key), std::move(value));
  return *this;
}

std::optional<std::string> Status::GetPayload(std::string_view key) const {
  for (const auto& [k, v] : payloads_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Status Status::WithContext(std::string_view context) const {
  if (ok() || context.empty()) return *this;
  Status out = *this;
  out.message_ = std::string(context) + ": " + message_;
  return out;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << StatusCodeName(code);
}

#define ZCRMSYNC_STATUS_FACTORY(Name, Code) \
  Status Name(std::string message) { return Status(StatusCode::Code, std::move(message)); }

ZCRMSYNC_STATUS_FACTORY(CancelledError, kCancelled)
ZCRMSYNC_STATUS_FACTORY(UnknownError, kUnknown)
ZCRMSYNC_STATUS_FACTORY(InvalidArgumentError, kInvalidArgument)
ZCRMSYNC_STATUS_FACTORY(DeadlineExceededError, kDeadlineExceeded)
ZCRMSYNC_STATUS_FACTORY(NotFoundError, kNotFound)
ZCRMSYNC_STATUS_FACTORY(AlreadyExistsError, kAlreadyExists)
ZCRMSYNC_STATUS_FACTORY(PermissionDeniedError, kPermissionDenied)
ZCRMSYNC_STATUS_FACTORY(ResourceExhaustedError, kResourceExhausted)
ZCRMSYNC_STATUS_FACTORY(FailedPreconditionError, kFailedPrecondition)
ZCRMSYNC_STATUS_FACTORY(AbortedError, kAborted)
ZCRMSYNC_STATUS_FACTORY(OutOfRangeError, kOutOfRange)
ZCRMSYNC_STATUS_FACTORY(UnimplementedError, kUnimplemented)
ZCRMSYNC_STATUS_FACTORY(InternalError, kInternal)
ZCRMSYNC_STATUS_FACTORY(UnavailableError, kUnavailable)
ZCRMSYNC_STATUS_FACTORY(DataLossError, kDataLoss)
ZCRMSYNC_STATUS_FACTORY(UnauthenticatedError, kUnauthenticated)

#undef ZCRMSYNC_STATUS_FACTORY

}  // namespace zcrmsync
