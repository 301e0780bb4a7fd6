#include "change_capture/installer.h"

#include "core/log.h"
#include "core/status_macros.h"
#include "odbc/transaction.h"

namespace zcrmsync::change_capture {
namespace {

std::string FirstLine(const std::string& statement) {
  const size_t end = statement.find('\n');
  std::string line = statement.substr(0, end);
  return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

Status RunAll(odbc::Connection& connection, const Script& script) {
  for (size_t i = 0; i < script.statements.size(); ++i) {
    auto r = connection.Execute(script.statements[i]);
    if (!r) {
      return r.error().WithContext("statement " + std::to_string(i + 1) + " of " +
                                   std::to_string(script.statements.size()) + " (" +
                                   FirstLine(script.statements[i]) + ")");
    }
  }
  return Status();
}

}  // namespace

Status ApplyScript(odbc::Connection& connection, const Script& script) {
  log::Logger("change_capture")
      .Info("applying SQL kit script", {{"dialect", DialectName(script.dialect)},
                                        {"statements", static_cast<int64_t>(script.statements.size())}});
  if (script.dialect == Dialect::kMySQL) return RunAll(connection, script);
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(connection));
  ZCRMSYNC_RETURN_IF_ERROR(RunAll(connection, script));
  return tx.Commit();
}

}  // namespace zcrmsync::change_capture
