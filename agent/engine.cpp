#include "agent/engine.h"

#include <algorithm>
#include <vector>

#include "agent/command_support.h"
#include "agent/commands.h"
#include "sync/sync_util.h"

namespace zcrmsync::agent {

std::optional<Engine> OpenEngine(const Context& ctx, const char* command, std::ostream& err,
                                 int& code) {
  auto fail = [&](const std::string& what, const Status& s) {
    err << "zcrmsync " << command << ": " << what << s.message() << "\n";
    code = kExitFailure;
    return std::nullopt;
  };
  code = kExitFailure;
  auto config = LoadConfig(ctx, command, err, code);
  if (!config) return std::nullopt;
  Engine e;
  e.config = std::move(*config);
  auto kit = change_capture::KitOptionsFor(e.config);
  if (!kit) return fail("", kit.error());
  e.kit = *kit;
  auto db = odbc::Connection::Open({.connection_string = e.config.database.connection_string});
  if (!db) return fail("database: ", db.error());
  e.db.emplace(std::move(*db));
  auto zoho = MakeZohoSession(e.config);
  if (!zoho) return fail("zoho: ", zoho.error());
  e.zoho = std::move(*zoho);
  // Each module's field metadata is a round trip to Zoho: all at once.
  std::vector<std::string> modules;
  for (const auto& m : e.config.mappings) {
    if (std::find(modules.begin(), modules.end(), m.module) == modules.end()) {
      modules.push_back(m.module);
    }
  }
  std::vector<Result<std::vector<crm::FieldInfo>>> got(
      modules.size(), Error(InternalError("field metadata not fetched")));
  sync::ForEachConcurrently(modules.size(), modules.size(),
                            [&](size_t i) { got[i] = e.zoho.client->Fields(modules[i]); });
  for (size_t i = 0; i < modules.size(); ++i) {
    if (!got[i]) return fail("Zoho module " + modules[i] + ": ", got[i].error());
    e.fields[modules[i]] = std::move(*got[i]);
  }
  code = kExitOk;
  return e;
}

}  // namespace zcrmsync::agent
