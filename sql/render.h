// ${token} substitution for the SQL kit's templates (sql/<dialect>/*.sql).
// Only identifiers and other pre-quoted fragments are substituted; values are
// always ? parameters. A token the template uses but the caller did not give,
// or one the caller gave but the template never uses, is an error: both mean
// template and code have drifted apart.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync::sql {

using Tokens = std::map<std::string, std::string, std::less<>>;

// INVALID_ARGUMENT names the token and, for unknown ones, the line. With
// `require_all_used` false, a caller may pass one superset of tokens for
// several templates; an unknown token is still an error.
Result<std::string> Render(std::string_view template_text, const Tokens& tokens,
                           bool require_all_used = true);

}  // namespace zcrmsync::sql
