// Engine: the request-handling core of the emulator, with no sockets. It
// keeps the records, tokens, limits and statistics, and answers one
// HttpRequest at a time (many threads may call it). Emulator (emulator.h)
// wraps it with an HTTP server.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "emulator/emulator.h"

namespace zcrmsync::emulator {

class Engine {
 public:
  // INVALID_ARGUMENT / NOT_FOUND when the metadata cannot be loaded.
  static Result<std::unique_ptr<Engine>> Create(const Options& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  HttpResponse Handle(const HttpRequest& request);

  // The URL the token endpoint returns as api_domain.
  void SetBaseUrl(std::string base_url);
  std::string base_url() const;

  std::string ExportState() const;
  Status ImportState(const std::string& json);
  std::string StatsJson() const;
  std::string IssueToken();
  bool WaitForNotifications(std::chrono::milliseconds timeout);

 private:
  struct State;
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace zcrmsync::emulator
