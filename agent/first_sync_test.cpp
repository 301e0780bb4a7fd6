#include "agent/first_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zcrmsync::agent {
namespace {

using ::testing::Optional;

mappings::Mapping Customers(mappings::Direction direction) {
  mappings::Mapping m;
  m.name = "customers";
  m.table = "public.customers";
  m.module = "Accounts";
  m.direction = direction;
  return m;
}

// Issue #12 (14): without match_fields the first sync duplicates what both
// sides already hold; check and plan say so, with counts.
TEST(FirstSyncWarningTest, NamesTheCountsAndWhatEachDirectionCreates) {
  EXPECT_THAT(FirstSyncWarning(Customers(mappings::Direction::kBoth), 1200, 950),
              Optional(std::string(
                  "mapping customers: 1,200 ERP rows in public.customers and 950 Zoho Accounts "
                  "records exist and match_fields is not set: the first sync will create 1,200 "
                  "CRM records and 950 ERP rows; if some are the same, set match_fields so that "
                  "the first sync links them instead of duplicating them")));
  EXPECT_THAT(FirstSyncWarning(Customers(mappings::Direction::kErpToCrm), 1, 1234567),
              Optional(::testing::HasSubstr("1 ERP row in public.customers and 1,234,567 Zoho "
                                            "Accounts records exist and match_fields is not set: "
                                            "the first sync will create 1 CRM record;")));
  EXPECT_THAT(FirstSyncWarning(Customers(mappings::Direction::kCrmToErp), 3, 2),
              Optional(::testing::HasSubstr("the first sync will create 2 ERP rows;")));
}

TEST(FirstSyncWarningTest, NoneWhenASideIsEmptyOrMatchFieldsAreSet) {
  EXPECT_EQ(FirstSyncWarning(Customers(mappings::Direction::kBoth), 0, 950), std::nullopt);
  EXPECT_EQ(FirstSyncWarning(Customers(mappings::Direction::kBoth), 1200, 0), std::nullopt);
  mappings::Mapping matched = Customers(mappings::Direction::kBoth);
  matched.match_fields.push_back({"email", "Email"});
  EXPECT_EQ(FirstSyncWarning(matched, 1200, 950), std::nullopt);
}

}  // namespace
}  // namespace zcrmsync::agent
