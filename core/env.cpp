#include "core/env.h"

#include <cctype>
#include <cstdlib>

namespace zcrmsync {

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Error(InvalidArgumentError("unterminated ${ at offset " + std::to_string(i)));
    }
    const std::string name(text.substr(i + 2, close - i - 2));
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      return Error(InvalidArgumentError("invalid environment variable name '${" + name + "}'"));
    }
    std::optional<std::string> value = lookup(name);
    if (!value) {
      return Error(InvalidArgumentError("environment variable " + name + " is not set"));
    }
    out += *value;
    i = close;
  }
  return out;
}

}  // namespace zcrmsync
