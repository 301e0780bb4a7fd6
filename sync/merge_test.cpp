#include "sync/merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "tests/support/status_matchers.h"

namespace zcrmsync::sync {
namespace {

using mappings::ConflictRule;
using mappings::Direction;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::zcrmsync::testing::StatusIs;

constexpr std::nullopt_t kAbsent = std::nullopt;

// 2027-01-15T08:00:00Z, DB clock.
const Clock::TimePoint kT0{seconds(1'799'920'800)};

MergeField Field(std::string name, FieldValue base, FieldValue erp, FieldValue crm,
                 ConflictRule rule = ConflictRule::kLatestWins,
                 Direction direction = Direction::kBoth) {
  MergeField f;
  f.field = std::move(name);
  f.base = std::move(base);
  f.erp = std::move(erp);
  f.crm = std::move(crm);
  f.rule = rule;
  f.direction = direction;
  return f;
}

MergeInput Input(std::vector<MergeField> fields) {
  MergeInput in;
  in.fields = std::move(fields);
  in.erp_changed_at = kT0;
  in.crm_modified_at = kT0;
  in.tie_tolerance = seconds(2);
  return in;
}

MergeResult MergeOk(const MergeInput& in) {
  Result<MergeResult> r = Merge(in);
  EXPECT_TRUE(r.has_value()) << r.error();
  return r.has_value() ? *r : MergeResult{};
}

// One conflicting field under `rule`; the CRM edit came `crm_later` after the
// ERP's by the CRM clock, which runs `skew` ahead of the DB clock.
MergeResult OneConflict(ConflictRule rule, Clock::Duration crm_later,
                        Clock::Duration skew = Clock::Duration::zero()) {
  MergeInput in = Input({Field("Phone", "1", "2", "3", rule)});
  in.crm_modified_at = kT0 + crm_later;
  in.clock_skew = skew;
  return MergeOk(in);
}

// ---- no conflict ----------------------------------------------------------

TEST(MergeTest, NothingChangedWritesNothing) {
  MergeResult r =
      MergeOk(Input({Field("Phone", "1", "1", "1"), Field("Email", "a", kAbsent, "a")}));
  EXPECT_THAT(r.to_crm, IsEmpty());
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base,
              ElementsAre(Pair("Email", FieldValue("a")), Pair("Phone", FieldValue("1"))));
}

TEST(MergeTest, ErpOnlyChangeGoesToCrm) {
  MergeResult r = MergeOk(Input({Field("Phone", "1", "2", "1")}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("2"))));
  EXPECT_THAT(r.crm_after, ElementsAre(Pair("Phone", FieldValue("2"))));
}

TEST(MergeTest, CrmOnlyChangeGoesToErp) {
  MergeResult r = MergeOk(Input({Field("Phone", "1", "1", "3")}));
  EXPECT_THAT(r.to_crm, IsEmpty());
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("3"))));
}

// Skyvia lets the source win the whole row and Heroku Connect's last writer
// wins the whole row; here edits to different fields both survive under every
// rule, even when the CRM edit is the later one.
TEST(MergeTest, NonOverlappingEditsAlwaysMerge) {
  for (ConflictRule rule : {ConflictRule::kLatestWins, ConflictRule::kErpWins,
                            ConflictRule::kCrmWins, ConflictRule::kManual}) {
    SCOPED_TRACE(mappings::ConflictRuleName(rule));
    MergeInput in = Input({Field("Phone", "1", "2", "1", rule), Field("Email", "a", "a", "b", rule),
                           Field("City", "x", "x", "x", rule)});
    in.crm_modified_at = kT0 + std::chrono::hours(1);  // CRM is much later
    MergeResult r = MergeOk(in);
    EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
    EXPECT_THAT(r.to_erp, ElementsAre(Pair("Email", "b")));
    EXPECT_THAT(r.conflicts, IsEmpty());
    EXPECT_THAT(r.new_base,
                ElementsAre(Pair("City", FieldValue("x")), Pair("Email", FieldValue("b")),
                            Pair("Phone", FieldValue("2"))));
  }
}

TEST(MergeTest, SameValueOnBothSidesIsNoConflict) {
  for (ConflictRule rule : {ConflictRule::kLatestWins, ConflictRule::kManual}) {
    MergeResult r = MergeOk(Input({Field("Phone", "1", "9", "9", rule)}));
    EXPECT_THAT(r.to_crm, IsEmpty());
    EXPECT_THAT(r.to_erp, IsEmpty());
    EXPECT_THAT(r.conflicts, IsEmpty());
    EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("9"))));  // the base moves
  }
}

TEST(MergeTest, AbsentSideIsUnchangedNotCleared) {
  MergeResult r =
      MergeOk(Input({Field("Phone", "1", kAbsent, "3"), Field("Email", "a", "b", kAbsent)}));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Email", "b")));
  EXPECT_THAT(r.conflicts, IsEmpty());
}

// The push path: no CRM values read, so only what the ERP changed is sent.
TEST(MergeTest, PushWithoutCrmValuesSendsOnlyChangedFields) {
  MergeResult r =
      MergeOk(Input({Field("Phone", "1", "2", kAbsent), Field("Email", "a", "a", kAbsent),
                     Field("City", "x", kAbsent, kAbsent)}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.crm_after,
              ElementsAre(Pair("City", FieldValue("x")), Pair("Email", FieldValue("a")),
                          Pair("Phone", FieldValue("2"))));
}

// ---- rules ------------------------------------------------------------------

TEST(MergeRuleTest, ErpWins) {
  MergeResult r = OneConflict(ConflictRule::kErpWins, std::chrono::hours(1));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("2"))));
  EXPECT_THAT(r.conflicts, ElementsAre(FieldConflict{"Phone", "1", "2", "3", ConflictRule::kErpWins,
                                                     ConflictOutcome::kErpWon, false}));
}

TEST(MergeRuleTest, CrmWins) {
  MergeResult r = OneConflict(ConflictRule::kCrmWins, -std::chrono::hours(1));
  EXPECT_THAT(r.to_crm, IsEmpty());
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("3"))));
  EXPECT_THAT(r.conflicts, ElementsAre(FieldConflict{"Phone", "1", "2", "3", ConflictRule::kCrmWins,
                                                     ConflictOutcome::kCrmWon, false}));
}

TEST(MergeRuleTest, LatestWinsPicksTheLaterSide) {
  MergeResult crm_later = OneConflict(ConflictRule::kLatestWins, seconds(10));
  EXPECT_THAT(crm_later.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_THAT(crm_later.to_crm, IsEmpty());
  ASSERT_EQ(crm_later.conflicts.size(), 1u);
  EXPECT_EQ(crm_later.conflicts[0].outcome, ConflictOutcome::kCrmWon);
  EXPECT_FALSE(crm_later.conflicts[0].tie);

  MergeResult erp_later = OneConflict(ConflictRule::kLatestWins, -seconds(10));
  EXPECT_THAT(erp_later.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_THAT(erp_later.to_erp, IsEmpty());
  ASSERT_EQ(erp_later.conflicts.size(), 1u);
  EXPECT_EQ(erp_later.conflicts[0].outcome, ConflictOutcome::kErpWon);
  EXPECT_FALSE(erp_later.conflicts[0].tie);
}

TEST(MergeRuleTest, LatestWinsTieWithinToleranceGoesToErp) {
  // Tolerance 2 s: the CRM being 1 s, exactly 2 s, or 0 s later is a tie.
  for (Clock::Duration d : {Clock::Duration(seconds(1)), Clock::Duration(seconds(2)),
                            Clock::Duration(seconds(0)), Clock::Duration(-seconds(2))}) {
    MergeResult r = OneConflict(ConflictRule::kLatestWins, d);
    EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
    EXPECT_THAT(r.to_erp, IsEmpty());
    ASSERT_EQ(r.conflicts.size(), 1u);
    EXPECT_EQ(r.conflicts[0].outcome, ConflictOutcome::kErpWon);
    EXPECT_TRUE(r.conflicts[0].tie);
  }
  // One microsecond past the tolerance is no longer a tie.
  MergeResult r = OneConflict(ConflictRule::kLatestWins, seconds(2) + std::chrono::microseconds(1));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_FALSE(r.conflicts.at(0).tie);
}

TEST(MergeRuleTest, LatestWinsZeroToleranceOnlyExactTimesTie) {
  MergeInput in = Input({Field("Phone", "1", "2", "3")});
  in.tie_tolerance = Clock::Duration::zero();
  in.crm_modified_at = kT0 + std::chrono::microseconds(1);
  EXPECT_THAT(MergeOk(in).to_erp, ElementsAre(Pair("Phone", "3")));
  in.crm_modified_at = kT0;
  MergeResult tie = MergeOk(in);
  EXPECT_THAT(tie.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_TRUE(tie.conflicts.at(0).tie);
}

TEST(MergeRuleTest, SkewCorrectionFlipsTheWinner) {
  // The CRM stamp reads 5 s after the ERP's, so uncorrected the CRM wins...
  EXPECT_THAT(OneConflict(ConflictRule::kLatestWins, seconds(5)).to_erp,
              ElementsAre(Pair("Phone", "3")));
  // ...but the CRM clock runs 8 s ahead: on the DB clock its edit came 3 s
  // before the ERP's, so the ERP wins.
  MergeResult fast_crm = OneConflict(ConflictRule::kLatestWins, seconds(5), seconds(8));
  EXPECT_THAT(fast_crm.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_THAT(fast_crm.to_erp, IsEmpty());
  EXPECT_EQ(fast_crm.conflicts.at(0).outcome, ConflictOutcome::kErpWon);
  EXPECT_FALSE(fast_crm.conflicts.at(0).tie);

  // The mirror: the ERP would win by 5 s, but the CRM clock runs 8 s behind.
  EXPECT_THAT(OneConflict(ConflictRule::kLatestWins, -seconds(5)).to_crm,
              ElementsAre(Pair("Phone", "2")));
  MergeResult slow_crm = OneConflict(ConflictRule::kLatestWins, -seconds(5), -seconds(8));
  EXPECT_THAT(slow_crm.to_erp, ElementsAre(Pair("Phone", "3")));
  EXPECT_EQ(slow_crm.conflicts.at(0).outcome, ConflictOutcome::kCrmWon);

  // Skew can also turn a clear CRM win into a tie, which goes to the ERP.
  MergeResult tie = OneConflict(ConflictRule::kLatestWins, seconds(5), seconds(4));
  EXPECT_THAT(tie.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_TRUE(tie.conflicts.at(0).tie);
}

TEST(MergeRuleTest, LatestWinsWithAnUnknownTimeIsATie) {
  MergeInput in = Input({Field("Phone", "1", "2", "3")});
  in.crm_modified_at = kT0 + std::chrono::hours(1);
  in.erp_changed_at.reset();
  MergeResult r = MergeOk(in);
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "2")));
  EXPECT_TRUE(r.conflicts.at(0).tie);
}

TEST(MergeRuleTest, ManualHoldsTheFieldAndMergesTheRest) {
  MergeInput in = Input({Field("Phone", "1", "2", "3", ConflictRule::kManual),
                         Field("Email", "a", "b", "a", ConflictRule::kManual),
                         Field("City", "x", "x", "y", ConflictRule::kManual)});
  MergeResult r = MergeOk(in);
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Email", "b")));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("City", "y")));
  EXPECT_THAT(r.new_base, ElementsAre(Pair("City", FieldValue("y")), Pair("Email", FieldValue("b")),
                                      Pair("Phone", FieldValue("1"))));  // held: base kept
  EXPECT_THAT(r.crm_after,
              ElementsAre(Pair("City", FieldValue("y")), Pair("Email", FieldValue("b")),
                          Pair("Phone", FieldValue("3"))));
  EXPECT_THAT(r.conflicts, ElementsAre(FieldConflict{"Phone", "1", "2", "3", ConflictRule::kManual,
                                                     ConflictOutcome::kHeld, false}));
  EXPECT_TRUE(r.HasHeldConflicts());

  // Until a person settles it, the next merge holds the same conflict again.
  MergeInput next = Input({Field("Phone", r.new_base["Phone"], "2", "3", ConflictRule::kManual)});
  MergeResult again = MergeOk(next);
  EXPECT_THAT(again.to_crm, IsEmpty());
  EXPECT_THAT(again.to_erp, IsEmpty());
  EXPECT_EQ(again.conflicts, r.conflicts);
}

TEST(MergeRuleTest, ResolvedConflictsAreNotHeld) {
  EXPECT_FALSE(OneConflict(ConflictRule::kErpWins, seconds(0)).HasHeldConflicts());
  EXPECT_FALSE(MergeResult{}.HasHeldConflicts());
}

TEST(MergeRuleTest, RulesApplyPerField) {
  MergeInput in = Input({Field("A", "1", "2", "3", ConflictRule::kErpWins),
                         Field("B", "1", "2", "3", ConflictRule::kCrmWins),
                         Field("C", "1", "2", "3", ConflictRule::kManual)});
  MergeResult r = MergeOk(in);
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("A", "2")));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("B", "3")));
  ASSERT_EQ(r.conflicts.size(), 3u);
  EXPECT_EQ(r.conflicts[0].outcome, ConflictOutcome::kErpWon);
  EXPECT_EQ(r.conflicts[1].outcome, ConflictOutcome::kCrmWon);
  EXPECT_EQ(r.conflicts[2].outcome, ConflictOutcome::kHeld);
}

// ---- nulls ------------------------------------------------------------------

TEST(MergeNullTest, ClearingAFieldIsAChange) {
  MergeResult r =
      MergeOk(Input({Field("Phone", "1", "null", kAbsent), Field("Email", "a", "a", "null")}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "null")));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Email", "null")));
}

TEST(MergeNullTest, BothClearedIsNoConflict) {
  MergeResult r = MergeOk(Input({Field("Phone", "1", "null", "null", ConflictRule::kManual)}));
  EXPECT_THAT(r.to_crm, IsEmpty());
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Phone", FieldValue("null"))));
}

TEST(MergeNullTest, NullAgainstAValueIsAConflict) {
  MergeResult r = MergeOk(Input({Field("Phone", "1", "null", "3", ConflictRule::kErpWins)}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "null")));
  EXPECT_THAT(r.conflicts,
              ElementsAre(FieldConflict{"Phone", "1", "null", "3", ConflictRule::kErpWins,
                                        ConflictOutcome::kErpWon, false}));
}

TEST(MergeNullTest, NullBaseFilledOnOneSide) {
  MergeResult r = MergeOk(Input({Field("Phone", "null", "null", "5")}));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Phone", "5")));
  EXPECT_THAT(r.conflicts, IsEmpty());
}

// ---- directions ---------------------------------------------------------------

TEST(MergeDirectionTest, ErpToCrmNeverWritesTheErp) {
  for (ConflictRule rule :
       {ConflictRule::kCrmWins, ConflictRule::kManual, ConflictRule::kLatestWins}) {
    SCOPED_TRACE(mappings::ConflictRuleName(rule));
    MergeInput in = Input({
        Field("Both", "1", "2", "3", rule, Direction::kErpToCrm),     // both changed
        Field("ErpOnly", "1", "2", "1", rule, Direction::kErpToCrm),  // ERP changed
        Field("CrmOnly", "1", "1", "3", rule, Direction::kErpToCrm),  // re-asserted
        Field("CrmOnlyAbsent", "1", kAbsent, "3", rule, Direction::kErpToCrm),
        Field("Same", "1", "1", "1", rule, Direction::kErpToCrm),
    });
    in.crm_modified_at = kT0 + std::chrono::hours(1);
    MergeResult r = MergeOk(in);
    EXPECT_THAT(r.to_erp, IsEmpty());
    EXPECT_THAT(r.to_crm, ElementsAre(Pair("Both", "2"), Pair("CrmOnly", "1"),
                                      Pair("CrmOnlyAbsent", "1"), Pair("ErpOnly", "2")));
    EXPECT_THAT(r.conflicts, IsEmpty());  // a one-way field has no conflicts
    EXPECT_THAT(r.new_base,
                ElementsAre(Pair("Both", FieldValue("2")), Pair("CrmOnly", FieldValue("1")),
                            Pair("CrmOnlyAbsent", FieldValue("1")),
                            Pair("ErpOnly", FieldValue("2")), Pair("Same", FieldValue("1"))));
  }
}

TEST(MergeDirectionTest, CrmToErpNeverWritesTheCrm) {
  for (ConflictRule rule :
       {ConflictRule::kErpWins, ConflictRule::kManual, ConflictRule::kLatestWins}) {
    SCOPED_TRACE(mappings::ConflictRuleName(rule));
    MergeInput in = Input({
        Field("Both", "1", "2", "3", rule, Direction::kCrmToErp),
        Field("CrmOnly", "1", "1", "3", rule, Direction::kCrmToErp),
        Field("ErpOnly", "1", "2", "1", rule, Direction::kCrmToErp),  // re-asserted
        Field("ErpOnlyPush", "1", "2", kAbsent, rule, Direction::kCrmToErp),
    });
    in.erp_changed_at = kT0 + std::chrono::hours(1);
    MergeResult r = MergeOk(in);
    EXPECT_THAT(r.to_crm, IsEmpty());
    EXPECT_THAT(r.to_erp, ElementsAre(Pair("Both", "3"), Pair("CrmOnly", "3"), Pair("ErpOnly", "1"),
                                      Pair("ErpOnlyPush", "1")));
    EXPECT_THAT(r.conflicts, IsEmpty());
  }
}

TEST(MergeDirectionTest, CreateOnlyFieldFlowsOnlyFromTheErpOnExistingRecords) {
  MergeField both = Field("Code", "1", "1", "3", ConflictRule::kCrmWins);
  both.create_only = true;
  MergeField crm_only = Field("Key", "1", "2", "3", ConflictRule::kCrmWins, Direction::kCrmToErp);
  crm_only.create_only = true;
  MergeResult r = MergeOk(Input({both, crm_only}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Code", "1")));  // the ERP value re-asserted
  EXPECT_THAT(r.to_erp, IsEmpty());                       // neither is written back
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("Code", FieldValue("1")), Pair("Key", FieldValue("1"))));
}

// ---- first contact ------------------------------------------------------------

TEST(MergeFirstContactTest, OneSidedValuesAreCopiedAcross) {
  MergeResult r =
      MergeOk(Input({Field("Phone", kAbsent, "1", kAbsent), Field("Email", kAbsent, kAbsent, "a"),
                     Field("City", kAbsent, kAbsent, kAbsent)}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("Phone", "1")));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Email", "a")));
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("City", kAbsent), Pair("Email", FieldValue("a")),
                                      Pair("Phone", FieldValue("1"))));
}

TEST(MergeFirstContactTest, EqualValuesJustSetTheBase) {
  MergeResult r = MergeOk(Input({Field("Phone", kAbsent, "1", "1", ConflictRule::kManual),
                                 Field("Fax", kAbsent, "null", "null", ConflictRule::kManual)}));
  EXPECT_THAT(r.to_crm, IsEmpty());
  EXPECT_THAT(r.to_erp, IsEmpty());
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base,
              ElementsAre(Pair("Fax", FieldValue("null")), Pair("Phone", FieldValue("1"))));
}

TEST(MergeFirstContactTest, DifferentValuesFollowTheRule) {
  MergeInput in = Input({Field("A", kAbsent, "1", "2", ConflictRule::kErpWins),
                         Field("B", kAbsent, "1", "2", ConflictRule::kCrmWins),
                         Field("C", kAbsent, "1", "2", ConflictRule::kManual),
                         Field("D", kAbsent, "1", "2", ConflictRule::kLatestWins)});
  in.crm_modified_at = kT0 + seconds(30);
  MergeResult r = MergeOk(in);
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("A", "1")));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("B", "2"), Pair("D", "2")));
  EXPECT_THAT(r.new_base, ElementsAre(Pair("A", FieldValue("1")), Pair("B", FieldValue("2")),
                                      Pair("C", kAbsent), Pair("D", FieldValue("2"))));
  ASSERT_EQ(r.conflicts.size(), 4u);
  EXPECT_EQ(r.conflicts[2], (FieldConflict{"C", kAbsent, "1", "2", ConflictRule::kManual,
                                           ConflictOutcome::kHeld, false}));
}

TEST(MergeFirstContactTest, OneWayFieldTakesTheSourceValue) {
  MergeResult r = MergeOk(
      Input({Field("A", kAbsent, "1", "2", ConflictRule::kManual, Direction::kErpToCrm),
             Field("B", kAbsent, kAbsent, "2", ConflictRule::kManual, Direction::kErpToCrm)}));
  EXPECT_THAT(r.to_crm, ElementsAre(Pair("A", "1")));
  EXPECT_THAT(r.to_erp, IsEmpty());  // B: the ERP value is unknown, the CRM's cannot flow back
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.new_base, ElementsAre(Pair("A", FieldValue("1")), Pair("B", kAbsent)));
}

// ---- input checks and config helpers ---------------------------------------

TEST(MergeInputTest, RejectsBadInput) {
  EXPECT_THAT(Merge(Input({Field("A", "1", "1", "1"), Field("A", "1", "1", "1")})),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Merge(Input({Field("", "1", "1", "1")})), StatusIs(StatusCode::kInvalidArgument));
  MergeInput negative = Input({});
  negative.tie_tolerance = -seconds(1);
  EXPECT_THAT(Merge(negative), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(Merge(Input({})).has_value());
}

TEST(MergeInputTest, FieldAndToleranceFromConfig) {
  mappings::SyncConfig sync;
  sync.conflict_rule = ConflictRule::kManual;
  sync.clock_skew_tolerance_seconds = 7;
  mappings::Mapping mapping;
  mapping.direction = Direction::kErpToCrm;
  mapping.conflict_rule = ConflictRule::kCrmWins;
  mappings::FieldMapping plain;
  plain.column = "phone";
  plain.field = "Phone";
  mappings::FieldMapping own = plain;
  own.direction = Direction::kBoth;
  own.conflict_rule = ConflictRule::kErpWins;
  own.create_only = true;

  MergeField f = MergeFieldFor(sync, mapping, plain);
  EXPECT_EQ(f.field, "Phone");
  EXPECT_EQ(f.direction, Direction::kErpToCrm);
  EXPECT_EQ(f.rule, ConflictRule::kCrmWins);
  EXPECT_FALSE(f.create_only);
  MergeField g = MergeFieldFor(sync, mapping, own);
  EXPECT_EQ(g.direction, Direction::kBoth);
  EXPECT_EQ(g.rule, ConflictRule::kErpWins);
  EXPECT_TRUE(g.create_only);
  mapping.conflict_rule.reset();
  EXPECT_EQ(MergeFieldFor(sync, mapping, plain).rule, ConflictRule::kManual);

  EXPECT_EQ(TieTolerance(sync), seconds(7));
}

TEST(MergeInputTest, OutcomeNames) {
  EXPECT_EQ(ConflictOutcomeName(ConflictOutcome::kErpWon), "erp");
  EXPECT_EQ(ConflictOutcomeName(ConflictOutcome::kCrmWon), "crm");
  EXPECT_EQ(ConflictOutcomeName(ConflictOutcome::kHeld), "held");
}

// ---- echoes -----------------------------------------------------------------

const Clock::TimePoint kWriteTime = kT0 + seconds(100);  // CRM clock

TEST(EchoTest, ValuesEqualToTheBaseAreAnEcho) {
  EchoCheck c;
  c.base = {{"Phone", "2"}, {"Email", "a"}};
  c.pulled = {{"Phone", "2"}, {"Email", "a"}};
  c.modified_time = kWriteTime + seconds(40);  // any time, e.g. an unmapped field changed
  EXPECT_TRUE(IsEchoOfOurWrite(c));
}

TEST(EchoTest, UnknownChangeWithoutOurWriteIsReal) {
  EchoCheck c;
  c.base = {{"Phone", "2"}};
  c.pulled = {{"Phone", "3"}};
  c.modified_time = kWriteTime;
  EXPECT_FALSE(IsEchoOfOurWrite(c));
  c.pulled = {{"Phone", "2"}, {"Email", "new"}};  // a field missing from the base
  EXPECT_FALSE(IsEchoOfOurWrite(c));
}

TEST(EchoTest, AbsentPulledFieldsAreNotCompared) {
  EchoCheck c;
  c.base = {{"Phone", "2"}, {"Email", "a"}};
  c.pulled = {{"Phone", "2"}, {"Email", kAbsent}};
  c.modified_time = kWriteTime;
  EXPECT_TRUE(IsEchoOfOurWrite(c));
  c.base["Phone"] = kAbsent;  // never synced: a present value differs
  EXPECT_FALSE(IsEchoOfOurWrite(c));
}

// The base and the CRM can differ on purpose (a held conflict); our write
// comes back with its own Modified_Time and the values it left.
TEST(EchoTest, OurModifiedTimeWithTheValuesWeLeftIsAnEcho) {
  MergeResult r = MergeOk(Input({Field("Phone", "1", "2", "3", ConflictRule::kManual),
                                 Field("Email", "a", "b", "a", ConflictRule::kManual)}));
  ASSERT_TRUE(r.HasHeldConflicts());
  EchoCheck c;
  c.base = r.new_base;
  c.pulled = {{"Phone", "3"}, {"Email", "b"}};
  c.modified_time = kWriteTime;
  c.last_write = OurCrmWrite{kWriteTime, r.crm_after};
  EXPECT_TRUE(IsEchoOfOurWrite(c));
  // The same values under a later Modified_Time are not ours by time, and
  // differ from the base: merge them (it re-reports the held conflict).
  c.modified_time = kWriteTime + seconds(1);
  EXPECT_FALSE(IsEchoOfOurWrite(c));
}

// Our write sets off a Zoho workflow that updates another field within the
// same second: the record carries our Modified_Time, yet it is a real change.
TEST(EchoTest, WorkflowChangeWithOurModifiedTimeIsReal) {
  MergeResult pushed = MergeOk(Input({Field("Lead_Status", "New", "Contacted", kAbsent),
                                      Field("Rating", "Cold", kAbsent, kAbsent)}));
  ASSERT_THAT(pushed.to_crm, ElementsAre(Pair("Lead_Status", "Contacted")));
  const OurCrmWrite write{kWriteTime, pushed.crm_after};

  EchoCheck c;
  c.base = pushed.new_base;
  c.modified_time = kWriteTime;
  c.last_write = write;
  c.pulled = {{"Lead_Status", "Contacted"}, {"Rating", "Cold"}};
  EXPECT_TRUE(IsEchoOfOurWrite(c));  // the plain echo

  c.pulled = {{"Lead_Status", "Contacted"}, {"Rating", "Hot"}};  // set by the workflow
  EXPECT_FALSE(IsEchoOfOurWrite(c));
  c.modified_time = kWriteTime + seconds(1);  // or a second later
  EXPECT_FALSE(IsEchoOfOurWrite(c));

  // The pull then merges it and the workflow's value reaches the ERP.
  MergeInput in =
      Input({Field("Lead_Status", *pushed.new_base["Lead_Status"], "Contacted", "Contacted"),
             Field("Rating", *pushed.new_base["Rating"], "Cold", "Hot")});
  MergeResult pulled = MergeOk(in);
  EXPECT_THAT(pulled.to_erp, ElementsAre(Pair("Rating", "Hot")));
  EXPECT_THAT(pulled.to_crm, IsEmpty());
  EXPECT_THAT(pulled.conflicts, IsEmpty());
}

TEST(EchoTest, WorkflowOverridingAFieldWeWroteIsReal) {
  EchoCheck c;
  c.base = {{"Lead_Status", "Contacted"}};
  c.last_write = OurCrmWrite{kWriteTime, {{"Lead_Status", "Contacted"}}};
  c.modified_time = kWriteTime;
  c.pulled = {{"Lead_Status", "Qualified"}};
  EXPECT_FALSE(IsEchoOfOurWrite(c));
  MergeResult r = MergeOk(Input({Field("Lead_Status", "Contacted", "Contacted", "Qualified")}));
  EXPECT_THAT(r.to_erp, ElementsAre(Pair("Lead_Status", "Qualified")));
}

// A converged record merges to nothing, and what we wrote comes back as an
// echo: no write loop.
TEST(EchoTest, MergeThenEchoConverges) {
  MergeInput in = Input({Field("Phone", "1", "2", "1"), Field("Email", "a", "a", "b"),
                         Field("City", "x", "y", "z", ConflictRule::kErpWins)});
  MergeResult r = MergeOk(in);
  ASSERT_THAT(r.to_crm, ElementsAre(Pair("City", "y"), Pair("Phone", "2")));
  ASSERT_THAT(r.to_erp, ElementsAre(Pair("Email", "b")));

  EchoCheck c;
  c.base = r.new_base;
  c.pulled = r.crm_after;
  c.modified_time = kWriteTime;
  c.last_write = OurCrmWrite{kWriteTime, r.crm_after};
  EXPECT_TRUE(IsEchoOfOurWrite(c));

  MergeInput again;
  for (const auto& [name, base] : r.new_base) {
    again.fields.push_back(Field(name, base, base, r.crm_after.at(name)));
  }
  MergeResult none = MergeOk(again);
  EXPECT_THAT(none.to_crm, IsEmpty());
  EXPECT_THAT(none.to_erp, IsEmpty());
  EXPECT_THAT(none.conflicts, IsEmpty());
}

}  // namespace
}  // namespace zcrmsync::sync
