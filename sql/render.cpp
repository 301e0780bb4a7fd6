#include "sql/render.h"

#include <set>

namespace zcrmsync::sql {

Result<std::string> Render(std::string_view text, const Tokens& tokens, bool require_all_used) {
  std::string out;
  out.reserve(text.size());
  std::set<std::string, std::less<>> used;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Error(InvalidArgumentError("unterminated ${ on line " + std::to_string(line)));
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    auto it = tokens.find(name);
    if (it == tokens.end()) {
      return Error(InvalidArgumentError("template uses unknown token ${" + std::string(name) +
                                        "} on line " + std::to_string(line)));
    }
    out += it->second;
    used.insert(it->first);
    i = close;
  }
  for (const auto& [name, value] : tokens) {
    if (require_all_used && !used.contains(name)) {
      return Error(InvalidArgumentError("token ${" + name + "} is given but never used"));
    }
  }
  return out;
}

}  // namespace zcrmsync::sql
