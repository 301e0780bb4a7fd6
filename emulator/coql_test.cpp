#include "emulator/coql.h"

#include <gtest/gtest.h>

namespace zcrmsync::emulator {
namespace {

TEST(CoqlParseTest, FullQuery) {
  auto q = ParseCoql(
      "SELECT Last_Name, Email from Leads where (Email like '%@x.com' or Last_Name = 'O''Neil') "
      "and Annual_Revenue between 10 and 20 order by Last_Name desc, id limit 5, 10");
  ASSERT_TRUE(q.has_value()) << q.error().message;
  EXPECT_EQ(q->fields, (std::vector<std::string>{"Last_Name", "Email"}));
  EXPECT_EQ(q->module, "Leads");
  EXPECT_EQ(q->where->kind, CoqlCondition::Kind::kAnd);
  EXPECT_EQ(q->where->left->kind, CoqlCondition::Kind::kOr);
  EXPECT_EQ(q->where->left->right->values[0].text, "O'Neil");
  EXPECT_EQ(q->where->right->op, CoqlOp::kBetween);
  EXPECT_EQ(q->criteria_count, 3);
  ASSERT_EQ(q->order_by.size(), 2u);
  EXPECT_FALSE(q->order_by[0].ascending);
  EXPECT_EQ(q->offset, 5);
  EXPECT_EQ(q->limit, 10);
}

TEST(CoqlParseTest, LimitOffsetForm) {
  auto q = ParseCoql("select id from Deals where Stage is not null limit 50 offset 100");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->limit, 50);
  EXPECT_EQ(q->offset, 100);
  EXPECT_EQ(q->where->op, CoqlOp::kIsNotNull);
}

TEST(CoqlParseTest, InAndNotIn) {
  auto q = ParseCoql("select id from Leads where Lead_Source not in ('A', 'B') and x in (1,2,3)");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->where->left->op, CoqlOp::kNotIn);
  EXPECT_EQ(q->where->left->values.size(), 2u);
  EXPECT_EQ(q->where->right->op, CoqlOp::kIn);
  EXPECT_EQ(q->where->right->values[2].kind, CoqlLiteral::Kind::kNumber);
}

TEST(CoqlParseTest, SyntaxErrorHasNearLineColumn) {
  auto q = ParseCoql("select Last_Name form Leads");
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code, "SYNTAX_ERROR");
  ASSERT_EQ(q.error().details.size(), 3u);
  EXPECT_EQ(q.error().details[0].text, "form");
  EXPECT_EQ(q.error().details[2].number, 18);
}

TEST(CoqlParseTest, Limits) {
  EXPECT_EQ(ParseCoql("select id from Leads limit 2001").error().code, "LIMIT_EXCEEDED");
  EXPECT_EQ(ParseCoql("select id from Leads limit 99999, 2").error().code, "LIMIT_EXCEEDED");
  EXPECT_FALSE(ParseCoql("select from Leads").has_value());
  EXPECT_FALSE(ParseCoql("select id from Leads where").has_value());
  EXPECT_FALSE(ParseCoql("select id from Leads where a = 'unterminated").has_value());
  EXPECT_FALSE(ParseCoql("delete from Leads").has_value());
}

}  // namespace
}  // namespace zcrmsync::emulator
