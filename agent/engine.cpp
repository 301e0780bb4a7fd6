#include "agent/engine.h"

#include "agent/command_support.h"
#include "agent/commands.h"

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
  auto db = odbc::Connection::Open(
      {.connection_string = e.config.database.connection_string,
       .lock_timeout = std::chrono::seconds(e.config.database.lock_timeout_seconds)});
  if (!db) return fail("database: ", db.error());
  e.db.emplace(std::move(*db));
  auto zoho = MakeZohoSession(e.config);
  if (!zoho) return fail("zoho: ", zoho.error());
  e.zoho = std::move(*zoho);
  for (const auto& m : e.config.mappings) {
    if (e.fields.contains(m.module)) continue;
    auto f = e.zoho.client->Fields(m.module);
    if (!f) return fail("Zoho module " + m.module + ": ", f.error());
    e.fields[m.module] = std::move(*f);
  }
  code = kExitOk;
  return e;
}

}  // namespace zcrmsync::agent
