// CurlTransport: HttpTransport over libcurl's multi interface. SendAll runs
// its requests concurrently on the calling thread, at most max_in_flight at a
// time; connections are kept and reused between calls. TLS peer and host
// verification are always on; plain http:// is refused except to a loopback
// address (127.0.0.0/8, localhost, [::1]). Redirects are never followed.
// Proxies come only from the options (environment variables are ignored).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crm/http_transport.h"

namespace zcrmsync::crm {

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Total time per request when the request sets none.
  std::chrono::milliseconds default_timeout{60'000};
  // "http://proxy:3128", "socks5h://..."; empty: no proxy. Credentials in it
  // are never logged.
  std::string proxy;
  // Hosts that bypass the proxy (curl's NOPROXY list).
  std::string no_proxy = "localhost,127.0.0.1,::1";
  // CA bundle file; empty: the system default.
  std::string ca_file;
  // Connections kept open per multi handle for reuse.
  int max_idle_connections = 32;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // See HttpTransport. A refused URL (http:// to a non-loopback host, another
  // scheme) fails with INVALID_ARGUMENT before any network I/O.
  std::vector<Result<HttpResponse>> SendAll(std::vector<HttpRequest> requests,
                                            int max_in_flight,
                                            const Prepare& prepare) override;
  using HttpTransport::SendAll;

  // New TCP connections opened so far (reused connections do not count).
  int64_t connections_opened() const { return connections_opened_.load(); }

 private:
  struct Multi;  // a CURLM* and its idle easy handles
  std::unique_ptr<Multi> AcquireMulti();
  void ReleaseMulti(std::unique_ptr<Multi> multi);

  CurlTransportOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Multi>> idle_multis_;  // guarded by mu_
  std::atomic<int64_t> connections_opened_{0};
};

}  // namespace zcrmsync::crm
