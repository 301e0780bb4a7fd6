// HealthServer: GET /health and GET /metrics over plain HTTP on a background
// thread (cpp-httplib, kept inside health_server.cpp), for `zcrmsync run` when
// the config sets agent.http_listen. It only renders agent/metrics.h's
// snapshot: it never touches the database or Zoho. No authentication, so bind
// it to loopback or a management network.
#pragma once

#include <memory>
#include <string>

#include "agent/metrics.h"
#include "core/result.h"

namespace zcrmsync::agent {

class HealthServer {
 public:
  // Binds `listen` ("host:port", "[v6]:port"; port 0 picks a free one) and
  // starts serving. INVALID_ARGUMENT for a malformed address; UNAVAILABLE when
  // the address cannot be bound (in use, not local). `metrics` must outlive
  // the server.
  static Result<std::unique_ptr<HealthServer>> Start(const std::string& listen, Metrics& metrics);

  // Stops serving and joins the thread.
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  const std::string& host() const;
  int port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  explicit HealthServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zcrmsync::agent
