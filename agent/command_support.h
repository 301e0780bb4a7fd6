// Shared by the command implementations: option parsing with --help, and
// loading the config with the error a user needs. Boost.Program_options
// stays inside agent/*.cpp; this header only forward-declares its types.
#pragma once

#include <optional>
#include <ostream>

#include "agent/commands.h"
#include "mappings/config.h"

namespace boost::program_options {
class options_description;
class positional_options_description;
class variables_map;
}  // namespace boost::program_options

namespace zcrmsync::agent {

// Adds --help, parses `args` into `vm`, and prints the help when asked.
// Returns an exit code when the command should stop here (help shown),
// nullopt to go on. Throws Boost's parse errors; RunCli turns them into usage
// errors.
std::optional<int> ParseCommand(const CommandArgs& args,
                                boost::program_options::options_description& opts,
                                boost::program_options::positional_options_description* positional,
                                boost::program_options::variables_map& vm, std::ostream& out);

// The config named by --config. On failure prints why and sets `code`
// (usage error without --config, failure for a bad file).
std::optional<mappings::Config> LoadConfig(const Context& ctx, const char* command,
                                           std::ostream& err, int& code);

}  // namespace zcrmsync::agent
