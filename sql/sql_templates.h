// The SQL kit's templates: sql/<dialect>/<name>.sql, embedded at build time
// (cmake/embed_sql.cmake). Every dialect has the same file names. Templates
// hold ${token} placeholders for identifiers only; see sql/render.h.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"

namespace zcrmsync::sql {

// NOT_FOUND names the dialect and the template.
Result<std::string_view> FindTemplate(std::string_view dialect, std::string_view name);

// The template names for `dialect`, sorted.
std::vector<std::string_view> TemplateNames(std::string_view dialect);

namespace internal {
struct EmbeddedTemplate {
  std::string_view dialect;
  std::string_view name;
  std::string_view text;
};
const std::vector<EmbeddedTemplate>& EmbeddedTemplates();
}  // namespace internal

}  // namespace zcrmsync::sql
