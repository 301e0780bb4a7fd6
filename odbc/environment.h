// Environment: the process-wide ODBC environment handle (ODBC 3 behaviour).
// Connections share it and keep it alive; it is freed after the last one.
#pragma once

#include <memory>

#include "core/result.h"

namespace zcrmsync::odbc {

class Environment {
 public:
  // The shared environment, created on first use. Thread-safe.
  // UNAVAILABLE when the driver manager cannot allocate it.
  static Result<std::shared_ptr<Environment>> Shared();

  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // The SQLHENV, for odbc/ internals.
  void* handle() const { return handle_; }

 private:
  explicit Environment(void* handle) : handle_(handle) {}
  void* handle_;
};

}  // namespace zcrmsync::odbc
