#include "core/log.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#ifdef _WIN32
#include <spdlog/sinks/win_eventlog_sink.h>
#endif

#include "core/clock.h"
#include "core/secrets.h"
#include "core/text.h"

namespace zcrmsync::log {
namespace {

struct State {
  std::mutex mu;
  Options options;
  std::shared_ptr<spdlog::logger> logger;
};

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("zcrmsync", std::move(sink));
  logger->set_pattern("%v");  // the facade formats the whole line
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);  // nothing lost on a crash
  return logger;
}

State& GetState() {
  static State* state = [] {
    auto* s = new State();  // never destroyed: logging stays valid during exit
    s->logger = MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    return s;
  }();
  return *state;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  return std::any_of(v.begin(), v.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
}

void AppendTextValue(std::string& out, std::string_view v, bool quoted) {
  if (quoted && NeedsQuotes(v)) {
    AppendJsonString(out, v);  // same escaping rules keep one line per event
  } else {
    out += v;
  }
}

std::string FormatLine(const Options& options, Level level, std::string_view component,
                       std::string_view message, std::initializer_list<Field> fields) {
  const std::string ts = FormatUtc(SystemClock().Now());
  std::string out;
  out.reserve(128);
  if (options.format == Format::kJson) {
    out += "{\"ts\":";
    AppendJsonString(out, ts);
    out += ",\"level\":";
    AppendJsonString(out, LevelName(level));
    out += ",\"component\":";
    AppendJsonString(out, component);
    out += ",\"msg\":";
    AppendJsonString(out, message);
    for (const Field& f : fields) {
      out += ',';
      AppendJsonString(out, f.key);
      out += ':';
      if (IsSecretKey(f.key)) {
        AppendJsonString(out, kRedacted);
      } else if (f.quoted) {
        AppendJsonString(out, f.value);
      } else {
        out += f.value;
      }
    }
    out += '}';
    return out;
  }
  std::string level_name(LevelName(level));
  std::transform(level_name.begin(), level_name.end(), level_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out += ts;
  out += ' ';
  out += level_name;
  out += ' ';
  out += component;
  out += ": ";
  for (char c : message) out += (c == '\n' || c == '\r') ? ' ' : c;
  for (const Field& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    AppendTextValue(out, IsSecretKey(f.key) ? kRedacted : std::string_view(f.value), f.quoted);
  }
  return out;
}

spdlog::level::level_enum ToSpdlogLevel(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k), value(fmt::format("{}", v)), quoted(false) {}

Result<Level> ParseLevel(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "trace") return Level::kTrace;
  if (n == "debug") return Level::kDebug;
  if (n == "info") return Level::kInfo;
  if (n == "warn" || n == "warning") return Level::kWarn;
  if (n == "error") return Level::kError;
  if (n == "off") return Level::kOff;
  return Error(InvalidArgumentError("unknown log level '" + std::string(name) +
                                    "'; allowed: trace, debug, info, warn, error, off"));
}

Result<Format> ParseFormat(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "text") return Format::kText;
  if (n == "json") return Format::kJson;
  return Error(InvalidArgumentError("unknown log format '" + std::string(name) +
                                    "'; allowed: text, json"));
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

void Configure(const Options& options) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  s.options = options;
}

Options CurrentOptions() {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.options;
}

void SetOutputForTesting(std::ostream* out) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (out == nullptr) {
    s.logger = MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else {
    s.logger = MakeLogger(std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, true));
  }
}

Status AddEventLogSink(const std::string& source, Level min_level) {
#ifdef _WIN32
  try {
    auto sink = std::make_shared<spdlog::sinks::win_eventlog_sink_mt>(source);
    sink->set_level(ToSpdlogLevel(min_level));
    sink->set_pattern("%v");  // the facade formats the whole line
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mu);
    s.logger->sinks().push_back(std::move(sink));
    return Status::Ok();
  } catch (const std::exception& e) {
    return UnavailableError("cannot open the Windows Event Log as '" + source + "': " + e.what());
  }
#else
  (void)min_level;
  return UnimplementedError("the Windows Event Log exists only on Windows (source '" + source +
                            "')");
#endif
}

bool Enabled(Level level) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  return level != Level::kOff && level >= s.options.level;
}

void Write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  try {
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mu);
    if (level == Level::kOff || level < s.options.level) return;
    // The level reaches spdlog only for sinks that filter or classify by it
    // (the Event Log's error/warning/information); the line is formatted here.
    s.logger->log(ToSpdlogLevel(level), FormatLine(s.options, level, component, message, fields));
  } catch (...) {
    // Logging must never take the agent down.
  }
}

}  // namespace zcrmsync::log
