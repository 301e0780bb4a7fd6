// A Zoho client built from the config's zoho section: the transport (proxy,
// CA file), OAuth and the client, alive together. For the agent's commands.
#pragma once

#include <memory>

#include "core/result.h"
#include "crm/curl_transport.h"
#include "crm/zoho_auth.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"

namespace zcrmsync::agent {

struct ZohoSession {
  std::unique_ptr<crm::CurlTransport> transport;
  std::unique_ptr<crm::ZohoAuth> auth;
  std::unique_ptr<crm::ZohoClient> client;
};

// INVALID_ARGUMENT for an unknown data centre. Makes no call.
Result<ZohoSession> MakeZohoSession(const mappings::Config& config, int max_attempts = 6);

}  // namespace zcrmsync::agent
