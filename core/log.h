// Logging facade. Lines go to stderr by default, one event per line, with a
// level, a component and key=value fields:
//   2026-11-30T09:40:01.123456Z INFO odbc: connected driver=psqlodbcw.so dbms="PostgreSQL 15"
// or, with Format::kJson, one JSON object per line (JSON lines).
// A field whose key names a secret (password, token, secret, ...) is always
// written as ***. spdlog does the output; its headers stay in log.cpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kText, kJson };

// "trace" "debug" "info" "warn" "error" "off" (any case) -> Level.
Result<Level> ParseLevel(std::string_view name);
// "text" "json" -> Format.
Result<Format> ParseFormat(std::string_view name);
std::string_view LevelName(Level level);

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, int64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, double v);
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}

  std::string_view key;
  std::string value;
  bool quoted = true;  // a string (JSON "..."), not a number or boolean
};

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kText;
};

// Thread-safe. Takes effect for every later line.
void Configure(const Options& options);
Options CurrentOptions();

// Redirects output to `out` (nullptr: back to stderr). For tests only.
void SetOutputForTesting(std::ostream* out);

// Windows: also writes every line at or above `min_level` to the Windows Event
// Log (Application log) as `source`, whose registration
// (agent/windows/service_command.cpp) names mscoree.dll as its message file.
// Elsewhere: kUnimplemented. Call once, at startup; kUnavailable when the log
// cannot be opened.
Status AddEventLogSink(const std::string& source, Level min_level = Level::kInfo);

bool Enabled(Level level);

// Writes one line. Thread-safe; never throws.
void Write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});

// A component-bound handle: Logger("odbc").Info("connected", {{"driver", d}}).
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}
  void Trace(std::string_view m, std::initializer_list<Field> f = {}) const { Write(Level::kTrace, component_, m, f); }
  void Debug(std::string_view m, std::initializer_list<Field> f = {}) const { Write(Level::kDebug, component_, m, f); }
  void Info(std::string_view m, std::initializer_list<Field> f = {}) const { Write(Level::kInfo, component_, m, f); }
  void Warn(std::string_view m, std::initializer_list<Field> f = {}) const { Write(Level::kWarn, component_, m, f); }
  void Error(std::string_view m, std::initializer_list<Field> f = {}) const { Write(Level::kError, component_, m, f); }

 private:
  std::string component_;
};

}  // namespace zcrmsync::log
