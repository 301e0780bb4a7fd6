#include "agent/type_compat.h"

#include <gtest/gtest.h>

namespace zcrmsync::agent {
namespace {

TEST(TypeCompatTest, Families) {
  EXPECT_EQ(FamilyOfColumnType("integer"), TypeFamily::kInteger);
  EXPECT_EQ(FamilyOfColumnType("bigint(20)"), TypeFamily::kInteger);
  EXPECT_EQ(FamilyOfColumnType("tinyint(1)"), TypeFamily::kBoolean);
  EXPECT_EQ(FamilyOfColumnType("boolean"), TypeFamily::kBoolean);
  EXPECT_EQ(FamilyOfColumnType("numeric(12,2)"), TypeFamily::kNumber);
  EXPECT_EQ(FamilyOfColumnType("double precision"), TypeFamily::kNumber);
  EXPECT_EQ(FamilyOfColumnType("timestamp without time zone"), TypeFamily::kDateTime);
  EXPECT_EQ(FamilyOfColumnType("DATETIME(6)"), TypeFamily::kDateTime);
  EXPECT_EQ(FamilyOfColumnType("date"), TypeFamily::kDate);
  EXPECT_EQ(FamilyOfColumnType("character varying(100)"), TypeFamily::kText);
  EXPECT_EQ(FamilyOfColumnType(""), TypeFamily::kText);
  EXPECT_EQ(FamilyOfColumnType("bytea"), TypeFamily::kOther);
  EXPECT_EQ(TextLength("varchar(255)"), 255);
  EXPECT_EQ(TextLength("text"), std::nullopt);
}

TEST(TypeCompatTest, MatchesAndMismatches) {
  EXPECT_EQ(TypeProblem("integer", "integer", 0, true, true), std::nullopt);
  EXPECT_EQ(TypeProblem("numeric(12,2)", "currency", 0, true, true), std::nullopt);
  EXPECT_EQ(TypeProblem("date", "date", 0, true, true), std::nullopt);
  EXPECT_EQ(TypeProblem("varchar(100)", "text", 255, true, true), std::nullopt);
  EXPECT_EQ(TypeProblem("varchar(10)", "picklist", 0, true, true), std::nullopt);
  EXPECT_NE(TypeProblem("varchar(20)", "date", 0, true, true), std::nullopt);
  EXPECT_NE(TypeProblem("numeric(12,2)", "integer", 0, true, false), std::nullopt);
  EXPECT_NE(TypeProblem("integer", "currency", 0, false, true), std::nullopt);
  EXPECT_NE(TypeProblem("timestamp", "date", 0, true, false), std::nullopt);
  EXPECT_EQ(TypeProblem("timestamp", "date", 0, false, true), std::nullopt);
  auto longer = TypeProblem("varchar(500)", "text", 255, true, true);
  ASSERT_TRUE(longer.has_value());
  EXPECT_NE(longer->find("at most 255"), std::string::npos) << *longer;
  EXPECT_EQ(TypeProblem("varchar(500)", "text", 255, false, true), std::nullopt);
  EXPECT_NE(TypeProblem("bytea", "text", 255, true, true), std::nullopt);
}

}  // namespace
}  // namespace zcrmsync::agent
