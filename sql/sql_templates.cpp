#include "sql/sql_templates.h"

#include <string>

namespace zcrmsync::sql {

Result<std::string_view> FindTemplate(std::string_view dialect, std::string_view name) {
  for (const auto& t : internal::EmbeddedTemplates()) {
    if (t.dialect == dialect && t.name == name) return t.text;
  }
  return Error(NotFoundError("no SQL template " + std::string(dialect) + "/" + std::string(name)));
}

std::vector<std::string_view> TemplateNames(std::string_view dialect) {
  std::vector<std::string_view> names;
  for (const auto& t : internal::EmbeddedTemplates()) {
    if (t.dialect == dialect) names.push_back(t.name);
  }
  return names;
}

}  // namespace zcrmsync::sql
