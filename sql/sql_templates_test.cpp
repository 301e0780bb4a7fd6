#include "sql/sql_templates.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::sql {
namespace {

using ::zcrmsync::testing::StatusIs;

TEST(SqlTemplatesTest, EveryDialectHasTheSameFileNames) {
  const auto reference = TemplateNames("postgresql");
  ASSERT_FALSE(reference.empty());
  for (const char* d : {"mysql", "sqlite", "sqlserver"}) {
    EXPECT_EQ(TemplateNames(d), reference) << d;
  }
}

TEST(SqlTemplatesTest, EveryTemplateStartsByListingItsTokens) {
  for (const char* d : {"postgresql", "mysql", "sqlite", "sqlserver"}) {
    for (std::string_view name : TemplateNames(d)) {
      auto text = FindTemplate(d, name);
      ASSERT_TRUE(text.has_value());
      EXPECT_EQ(text->rfind("-- ", 0), 0u) << d << "/" << name;
      EXPECT_NE(text->find("Tokens:"), std::string_view::npos) << d << "/" << name;
    }
  }
}

TEST(SqlTemplatesTest, UnknownTemplateIsNotFound) {
  EXPECT_THAT(FindTemplate("postgresql", "nope.sql"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(FindTemplate("oracle", "agent_schema.sql"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace zcrmsync::sql
