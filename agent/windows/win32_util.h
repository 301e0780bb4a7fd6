// Small Win32 helpers shared by agent/windows/: UTF-8 <-> UTF-16 for the W
// API, readable text for a Win32 error code, and RAII for SC_HANDLE.
// Windows only; <windows.h> stays inside agent/windows/.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <string>
#include <string_view>

namespace zcrmsync::agent::windows {

// Invalid input is replaced (U+FFFD), never dropped: these strings are paths,
// names and messages shown to a person.
std::wstring Widen(std::string_view utf8);
std::string Narrow(std::wstring_view utf16);

// "Access is denied. (error 5)" from FormatMessageW.
std::string ErrorText(DWORD code);

// Closes a service or service-manager handle on scope exit.
class ScHandle {
 public:
  explicit ScHandle(SC_HANDLE h = nullptr) : h_(h) {}
  ~ScHandle() {
    if (h_ != nullptr) CloseServiceHandle(h_);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  void reset(SC_HANDLE h) {
    if (h_ != nullptr) CloseServiceHandle(h_);
    h_ = h;
  }
  SC_HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  SC_HANDLE h_;
};

}  // namespace zcrmsync::agent::windows
