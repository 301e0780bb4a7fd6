#include "crm/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::crm {
namespace {

using ::zcrmsync::testing::StatusIs;

TEST(JsonTest, RoundTrip) {
  const std::string text =
      R"({"a":null,"b":true,"c":-12,"d":1.5,"e":"x\"y","f":[1,"2",{"id":"3"}],"g":{}})";
  Result<JsonValue> v = ParseJson(text);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(ToJson(*v), text);
  EXPECT_TRUE(v->Find("a")->is_null());
  EXPECT_EQ(v->Find("c")->as_int(), -12);
  EXPECT_EQ(v->GetString("e"), "x\"y");
  EXPECT_EQ(v->GetString("missing"), "");
}

TEST(JsonTest, BigIdsStayExact) {
  Result<JsonValue> v = ParseJson(R"({"n":9007199254740993})");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->Find("n")->as_int(), 9007199254740993LL);
}

TEST(JsonTest, NotJson) { EXPECT_THAT(ParseJson("{nope"), StatusIs(StatusCode::kInvalidArgument)); }

}  // namespace
}  // namespace zcrmsync::crm
