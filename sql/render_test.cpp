#include "sql/render.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::sql {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(RenderTest, SubstitutesEveryOccurrence) {
  EXPECT_THAT(Render("CREATE TABLE ${table} (x int);\n-- ${table}\n",
                     {{"table", "\"zcrmsync\".\"changes\""}}),
              IsOkAndHolds(std::string(
                  "CREATE TABLE \"zcrmsync\".\"changes\" (x int);\n-- \"zcrmsync\".\"changes\"\n")));
}

TEST(RenderTest, LeavesOtherDollarsAlone) {
  EXPECT_THAT(Render("AS $$ BEGIN $1; END $$ ${f}", {{"f", "x"}}),
              IsOkAndHolds(std::string("AS $$ BEGIN $1; END $$ x")));
}

TEST(RenderTest, UnknownTokenNamesTheLine) {
  auto r = Render("a\nb ${nope}\n", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("${nope} on line 2"), std::string::npos) << r.error();
}

TEST(RenderTest, UnusedTokenIsAnError) {
  EXPECT_THAT(Render("SELECT 1", {{"table", "t"}}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Render("${a", {{"a", "t"}}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Render("SELECT 1", {{"table", "t"}}, /*require_all_used=*/false),
              IsOkAndHolds(std::string("SELECT 1")));
  EXPECT_THAT(Render("${nope}", {{"table", "t"}}, /*require_all_used=*/false),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync::sql
