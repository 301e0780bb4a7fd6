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

TEST(JsonTest, DoublesKeepTheirShortestExactText) {
  EXPECT_EQ(ToJson(JsonValue(7972986220.42205)), "7972986220.42205");
  EXPECT_EQ(ToJson(JsonValue(0.1)), "0.1");
  EXPECT_EQ(ToJson(JsonValue(5.0)), "5.0");
  EXPECT_EQ(ToJson(JsonValue(-12.5)), "-12.5");
  // Every double survives a write and a read unchanged.
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const double d = static_cast<double>(x % 100000000000000ull) / 100000.0;
    auto back = ParseJson(ToJson(JsonValue(d)));
    ASSERT_TRUE(back.has_value());
    ASSERT_TRUE(back->is_double() || back->is_int());
    const double got = back->is_double() ? back->as_double() : static_cast<double>(back->as_int());
    ASSERT_EQ(got, d) << ToJson(JsonValue(d));
  }
}

TEST(JsonTest, NotJson) { EXPECT_THAT(ParseJson("{nope"), StatusIs(StatusCode::kInvalidArgument)); }

}  // namespace
}  // namespace zcrmsync::crm
