// Loads the agent's config file (JSON; comments and trailing commas allowed)
// into mappings::Config. Order: parse, check against the JSON Schema embedded
// from mappings/config.schema.json, expand ${NAME} in every string value, then
// the cross-field checks. Every problem found is reported, one per line, as
// "<source>: <path>: <what is wrong and what is allowed>"; secret values
// (zoho.client_secret, zoho.refresh_token, the connection string) are never
// echoed. Keys and rules: mappings/CONFIG.md.
#pragma once

#include <string>
#include <string_view>

#include "core/env.h"
#include "core/result.h"
#include "mappings/config.h"

namespace zcrmsync::mappings {

// Reads and parses `path`. NOT_FOUND (naming the path) when the file does not
// exist, PERMISSION_DENIED / UNAVAILABLE when it cannot be read, else as
// ParseConfig. Config::source_path is `path`.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = GetEnv);

// Parses config text. `source_name` prefixes every error line and becomes
// Config::source_path. `env` resolves ${NAME} ("$$" is a literal "$").
// INVALID_ARGUMENT for any problem:
//   bad JSON        "<source>:LINE:COLUMN: invalid JSON: <reason>"
//   schema / checks "<source>: mappings[0].fields[2].direction: must be one of: ..."
//   missing env var "<source>: zoho.client_secret: environment variable X is not set"
// Thread-safe.
Result<Config> ParseConfig(std::string_view json_text, std::string_view source_name,
                           const EnvLookup& env = GetEnv);

// The JSON Schema the config is checked against (the text of
// mappings/config.schema.json, embedded at build time).
std::string_view ConfigJsonSchema();

}  // namespace zcrmsync::mappings
