// Result<T>: a value or the Status explaining why there is none.
// It is std::expected (C++23), so callers use has_value(), *r, r.error().
#pragma once

#include <expected>
#include <utility>

#include "core/status.h"

namespace zcrmsync {

template <typename T>
using Result = std::expected<T, Status>;

// Wraps an error for returning from a function that returns Result<T>.
// REQUIRES: !status.ok().
inline std::unexpected<Status> Error(Status status) {
  return std::unexpected<Status>(std::move(status));
}

// The Status of a Result: OK when it holds a value.
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.has_value() ? Status() : result.error();
}

namespace internal {
// Converts to whichever error type the enclosing function returns, so the
// macros in status_macros.h work in functions returning Status or Result<T>.
struct ErrorReturn {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator std::expected<T, Status>() && {  // NOLINT(google-explicit-constructor)
    return std::unexpected<Status>(std::move(status));
  }
};
}  // namespace internal

}  // namespace zcrmsync
