// Everything a command that talks to both sides needs, opened from the
// config: the database connection, the SQL kit's options, a Zoho session and
// each mapped module's field metadata (one metadata call per module).
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/zoho_session.h"
#include "change_capture/kit_manager.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::agent {

struct Engine {
  mappings::Config config;
  change_capture::KitOptions kit;
  std::optional<odbc::Connection> db;
  ZohoSession zoho;
  std::map<std::string, std::vector<crm::FieldInfo>> fields;
};

// On failure prints "zcrmsync <command>: <why>" to `err` and returns nullopt;
// `code` is the exit code to use (usage error without --config).
std::optional<Engine> OpenEngine(const Context& ctx, const char* command, std::ostream& err,
                                 int& code);

}  // namespace zcrmsync::agent
