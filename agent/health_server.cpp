#include "agent/health_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/log.h"

namespace zcrmsync::agent {

struct HealthServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};
  std::string host;
  int port = 0;
};

namespace {

// "host:port" or "[v6]:port" -> host (brackets dropped), port.
Result<std::pair<std::string, int>> SplitListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Error(InvalidArgumentError("agent.http_listen \"" + listen +
                                      "\": expected host:port, e.g. 127.0.0.1:9187"));
  }
  std::string host = listen.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  const std::string digits = listen.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() <= 5) {
    port = std::stoi(digits);
  }
  if (host.empty() || port < 0 || port > 65535) {
    return Error(InvalidArgumentError("agent.http_listen \"" + listen +
                                      "\": expected host:port with a port from 0 to 65535"));
  }
  return std::make_pair(host, port);
}

}  // namespace

Result<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen,
                                                          Metrics& metrics) {
  auto parts = SplitListen(listen);
  if (!parts) return Error(parts.error());
  auto impl = std::make_unique<Impl>();
  impl->host = parts->first;
  Metrics* m = &metrics;
  impl->server.Get("/health", [m](const httplib::Request&, httplib::Response& res) {
    const HealthAnswer a = m->Health();
    res.status = a.http_status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(a.json + "\n", "application/json");
  });
  impl->server.Get("/metrics", [m](const httplib::Request&, httplib::Response& res) {
    res.set_content(m->RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Slow or idle scrapers must not pin the thread for long.
  impl->server.set_read_timeout(5, 0);
  impl->server.set_write_timeout(5, 0);
  impl->server.set_keep_alive_max_count(10);
  if (parts->second == 0) {
    impl->port = impl->server.bind_to_any_port(impl->host);
    if (impl->port <= 0) impl->port = -1;
  } else {
    impl->port = impl->server.bind_to_port(impl->host, parts->second) ? parts->second : -1;
  }
  if (impl->port < 0) {
    return Error(UnavailableError("agent.http_listen \"" + listen +
                                  "\": cannot listen there (address in use, or not an address "
                                  "of this host)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->finished = true;
  });
  log::Logger("health").Info("serving /health and /metrics",
                             {{"address", raw->host}, {"port", raw->port}});
  return std::unique_ptr<HealthServer>(new HealthServer(std::move(impl)));
}

HealthServer::HealthServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HealthServer::~HealthServer() {
  // stop() does nothing before the thread has entered its accept loop, so
  // wait for that (or for the loop to have ended) first.
  while (!impl_->finished) {
    if (impl_->server.is_running()) {
      impl_->server.stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& HealthServer::host() const { return impl_->host; }

int HealthServer::port() const { return impl_->port; }

}  // namespace zcrmsync::agent
