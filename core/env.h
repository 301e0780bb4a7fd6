// ${NAME} expansion from the process environment, for config values and
// connection strings, so secrets can stay out of files and command lines.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real environment (getenv).
std::optional<std::string> GetEnv(const std::string& name);

// Replaces every ${NAME} (NAME = [A-Za-z_][A-Za-z0-9_]*) with its value.
// "$$" stands for a literal "$". Errors (INVALID_ARGUMENT) name the variable:
// a missing variable, an unterminated "${" or an invalid name. A lone "$" not
// followed by "{" or "$" is kept as is.
Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& lookup = GetEnv);

}  // namespace zcrmsync
