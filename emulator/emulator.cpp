#include "emulator/emulator.h"

#include <chrono>
#include <cstdio>

#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "core/log.h"
#include "emulator/engine.h"

namespace zcrmsync::emulator {

namespace {

// "Mon, 30 Nov 2026 12:31:59 GMT".
std::string HttpDate(Clock::TimePoint t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{secs - days};
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                kDays[std::chrono::weekday(days).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace

struct Emulator::Impl {
  Options options;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  log::Logger logger{"emulator"};

  void Serve(const httplib::Request& req, httplib::Response& res) {
    HttpRequest in;
    in.method = req.method;
    in.path = req.path;
    // The raw target keeps the query exactly as sent ('+' stays '+').
    if (size_t q = req.target.find('?'); q != std::string::npos) {
      in.query = req.target.substr(q + 1);
    }
    for (const auto& [k, v] : req.headers) in.headers.emplace_back(k, v);
    in.body = req.body;
    for (const auto& [name, file] : req.files) in.form.emplace_back(name, file.content);
    HttpResponse out = engine->Handle(in);
    if (out.drop_connection) {
      // A content provider that fails makes httplib close the connection
      // without a complete answer.
      res.set_content_provider(
          1, "application/json",
          [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    res.status = out.status;
    // Like Zoho's servers: the agent measures clock skew from it.
    res.set_header("Date", HttpDate(options.clock != nullptr ? options.clock->Now() : SystemClock().Now()));
    std::string content_type = "application/json;charset=UTF-8";
    for (const auto& [k, v] : out.headers) {
      if (k == "Content-Type") {
        content_type = v;
      } else {
        res.set_header(k, v);
      }
    }
    if (!out.body.empty()) res.set_content(out.body, content_type.c_str());
  }
};

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Emulator::~Emulator() { Stop(); }

Result<std::unique_ptr<Emulator>> Emulator::Create(Options options) {
  auto impl = std::make_unique<Impl>();
  auto engine = Engine::Create(options);
  if (!engine.has_value()) return Error(engine.error());
  impl->engine = std::move(*engine);
  impl->options = std::move(options);
  impl->port = impl->options.port;
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

HttpResponse Emulator::Handle(const HttpRequest& request) { return impl_->engine->Handle(request); }

Result<int> Emulator::Start() {
  if (impl_->server) return Error(FailedPreconditionError("emulator already started"));
  auto server = std::make_unique<httplib::Server>();
  // Enough workers that the concurrency cap, not the pool, limits calls in
  // flight (httplib's default pool is about the core count).
  const int workers = std::max(32, impl_->options.concurrency * 3);
  server->new_task_queue = [workers] {
    return new httplib::ThreadPool(static_cast<size_t>(workers));
  };
  // httplib's default sets SO_REUSEPORT, which would let a second emulator
  // share a busy fixed port silently; keep only SO_REUSEADDR.
  socket_t listen_sock = INVALID_SOCKET;
  server->set_socket_options([&listen_sock](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    listen_sock = sock;  // the last socket tried is the one bound
  });
  // Kept-alive answers would otherwise wait for the client's delayed ACK
  // (Nagle), about 28 ms per call on loopback.
  server->set_tcp_nodelay(true);
  Impl* impl = impl_.get();
  auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Serve(req, res);
  };
  // httplib answers 400 to a POST/PUT without Content-Length before routing;
  // curl -X POST with no body (Zoho's own token examples) sends none, so such
  // requests are served here with an empty body.
  server->set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    bool has_body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (has_body_method && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding")) {
      impl->Serve(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server->Get(".*", handler);
  server->Post(".*", handler);
  server->Put(".*", handler);
  server->Patch(".*", handler);
  server->Delete(".*", handler);
  int port = impl_->options.port;
  if (port == 0) {
    port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) return Error(UnavailableError("cannot bind 127.0.0.1 to a free port"));
  } else if (!server->bind_to_port("127.0.0.1", port)) {
    return Error(UnavailableError("cannot bind 127.0.0.1:" + std::to_string(port)));
  }
  // The Debian library listens with a backlog of 5: when C > 5 clients
  // connect at once, the extra SYNs are dropped and retried a second later.
  // listen() again on the bound socket only raises the backlog.
  if (listen_sock != INVALID_SOCKET) ::listen(listen_sock, SOMAXCONN);
  server->set_socket_options([](socket_t) {});  // drop the reference to listen_sock
  impl_->port = port;
  impl_->engine->SetBaseUrl("http://127.0.0.1:" + std::to_string(port));
  httplib::Server* raw = server.get();
  impl_->server = std::move(server);
  impl_->thread = std::thread([raw] { raw->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs, so wait for it here.
  for (int i = 0; i < 5000 && !raw->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->logger.Info("listening", {{"port", port}});
  return port;
}

void Emulator::Stop() {
  if (!impl_->server) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.reset();
}

std::string Emulator::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

std::string Emulator::ExportState() const { return impl_->engine->ExportState(); }

Status Emulator::ImportState(const std::string& json) { return impl_->engine->ImportState(json); }

Status Emulator::LoadStateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read state file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return impl_->engine->ImportState(buffer.str()).WithContext(path);
}

Status Emulator::SaveStateFile(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return UnavailableError("cannot write state file " + tmp);
    out << impl_->engine->ExportState();
    if (!out.flush()) return UnavailableError("cannot write state file " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

std::string Emulator::StatsJson() const { return impl_->engine->StatsJson(); }

std::string Emulator::IssueTokenForTesting() { return impl_->engine->IssueToken(); }

bool Emulator::WaitForNotificationsForTesting(std::chrono::milliseconds timeout) {
  return impl_->engine->WaitForNotifications(timeout);
}

}  // namespace zcrmsync::emulator
