// The commands behind the zcrmsync command line. Each takes its own
// arguments (after the command name) and the global context, writes results
// to `out` and problems to `err`, and returns an exit code (agent/cli.h).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace zcrmsync::agent {

struct Context {
  std::optional<std::string> config_path;  // --config
};

using CommandArgs = std::vector<std::string>;

int RunPing(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunCheck(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunSql(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunInstall(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunUninstall(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunSync(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunErrors(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunConflicts(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunPlan(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunStatus(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunPush(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
int RunVerify(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);

}  // namespace zcrmsync::agent
