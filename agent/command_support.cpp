#include "agent/command_support.h"

#include <boost/program_options.hpp>

#include "agent/cli.h"
#include "mappings/config_loader.h"

namespace zcrmsync::agent {

namespace po = boost::program_options;

std::optional<int> ParseCommand(const CommandArgs& args, po::options_description& opts,
                                po::positional_options_description* positional,
                                po::variables_map& vm, std::ostream& out) {
  opts.add_options()("help,h", "show this help and exit");
  auto parser = po::command_line_parser(args).options(opts);
  if (positional != nullptr) parser.positional(*positional);
  po::store(parser.run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    out << opts << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

std::optional<mappings::Config> LoadConfig(const Context& ctx, const char* command,
                                           std::ostream& err, int& code) {
  if (!ctx.config_path) {
    err << "zcrmsync " << command << ": --config FILE is required (zcrmsync --config FILE "
        << command << ")\n";
    code = kExitUsage;
    return std::nullopt;
  }
  auto config = mappings::LoadConfigFile(*ctx.config_path);
  if (!config) {
    err << "zcrmsync " << command << ": " << config.error().message() << "\n";
    code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*config);
}

}  // namespace zcrmsync::agent
