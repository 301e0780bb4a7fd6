#include "mappings/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::mappings {
namespace {

using ::testing::HasSubstr;
using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(ConfigEnumsTest, NamesRoundTrip) {
  for (Direction d : {Direction::kBoth, Direction::kErpToCrm, Direction::kCrmToErp}) {
    EXPECT_THAT(ParseDirection(DirectionName(d)), IsOkAndHolds(d));
  }
  for (ConflictRule r : {ConflictRule::kLatestWins, ConflictRule::kErpWins, ConflictRule::kCrmWins,
                         ConflictRule::kManual}) {
    EXPECT_THAT(ParseConflictRule(ConflictRuleName(r)), IsOkAndHolds(r));
  }
  for (DeleteKind k : {DeleteKind::kPropagate, DeleteKind::kIgnore, DeleteKind::kSoftDelete}) {
    EXPECT_THAT(ParseDeleteKind(DeleteKindName(k)), IsOkAndHolds(k));
  }
  EXPECT_EQ(DirectionName(Direction::kErpToCrm), "erp_to_crm");
  EXPECT_EQ(ConflictRuleName(ConflictRule::kLatestWins), "latest_wins");
}

TEST(ConfigEnumsTest, UnknownNameListsAllowed) {
  auto r = ParseDirection("Both");
  ASSERT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(r.error().message(), HasSubstr("must be one of: both, erp_to_crm, crm_to_erp"));
  EXPECT_THAT(ParseConflictRule("newest"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDeleteKind(""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ConfigEnumsTest, Flows) {
  EXPECT_TRUE(FlowsErpToCrm(Direction::kBoth));
  EXPECT_TRUE(FlowsCrmToErp(Direction::kBoth));
  EXPECT_TRUE(FlowsErpToCrm(Direction::kErpToCrm));
  EXPECT_FALSE(FlowsCrmToErp(Direction::kErpToCrm));
  EXPECT_FALSE(FlowsErpToCrm(Direction::kCrmToErp));
  EXPECT_TRUE(FlowsCrmToErp(Direction::kCrmToErp));
}

TEST(ConfigEnumsTest, Dialects) {
  EXPECT_EQ(DialectNames().size(), 4u);
  EXPECT_EQ(DataCenterNames().size(), 8u);
  EXPECT_FALSE(DialectHasSchemas("sqlite"));
  EXPECT_TRUE(DialectHasSchemas("postgresql"));
}

TEST(ConfigHelpersTest, EffectiveRuleFallsBackFieldMappingSync) {
  SyncConfig sync;
  sync.conflict_rule = ConflictRule::kManual;
  Mapping m;
  FieldMapping f;
  EXPECT_EQ(EffectiveConflictRule(sync, m, f), ConflictRule::kManual);
  m.conflict_rule = ConflictRule::kCrmWins;
  EXPECT_EQ(EffectiveConflictRule(sync, m, f), ConflictRule::kCrmWins);
  f.conflict_rule = ConflictRule::kErpWins;
  EXPECT_EQ(EffectiveConflictRule(sync, m, f), ConflictRule::kErpWins);
}

TEST(ConfigHelpersTest, EffectiveDirectionInheritsMapping) {
  Mapping m;
  m.direction = Direction::kCrmToErp;
  FieldMapping f;
  EXPECT_EQ(EffectiveDirection(m, f), Direction::kCrmToErp);
  f.direction = Direction::kBoth;
  EXPECT_EQ(EffectiveDirection(m, f), Direction::kBoth);
}

TEST(ConfigHelpersTest, Finders) {
  Config c;
  c.mappings.push_back(Mapping{.name = "a"});
  c.mappings[0].fields.push_back(FieldMapping{.column = "col", .field = "Fld"});
  ASSERT_NE(FindMapping(c, "a"), nullptr);
  EXPECT_EQ(FindMapping(c, "b"), nullptr);
  EXPECT_EQ(FindFieldByColumn(c.mappings[0], "col")->field, "Fld");
  EXPECT_EQ(FindFieldByZohoField(c.mappings[0], "Fld")->column, "col");
  EXPECT_EQ(FindFieldByColumn(c.mappings[0], "Fld"), nullptr);
}

TEST(ConfigDefaultsTest, StructDefaults) {
  Config c;
  EXPECT_EQ(c.database.schema, "zcrmsync");
  EXPECT_EQ(c.zoho.data_center, "us");
  EXPECT_EQ(c.zoho.max_concurrency, 10);
  EXPECT_EQ(c.sync.interval_seconds, 5);
  EXPECT_EQ(c.sync.conflict_rule, ConflictRule::kLatestWins);
  EXPECT_EQ(c.sync.clock_skew_tolerance_seconds, 2);
  Mapping m;
  EXPECT_EQ(m.direction, Direction::kBoth);
  EXPECT_EQ(m.deletes.kind, DeleteKind::kPropagate);
  EXPECT_EQ(m.zoho_triggers, std::vector<std::string>{"workflow"});
}

}  // namespace
}  // namespace zcrmsync::mappings
