#include "change_capture/change_reader.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::change_capture {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;
using Keys = std::vector<std::vector<std::string>>;

TEST(ParseKeysTest, SlicesStepOverEarlierKeysWithoutDecodingThem) {
  const std::string json = R"([["a\"]", "x"], "b\\", ["c"], "d\u00e9", [42], "f"])";
  auto head = ParseKeySlice(json, 0, 2);
  ASSERT_TRUE(head.has_value()) << head.error();
  EXPECT_EQ(head->keys, (Keys{{"a\"]", "x"}, {"b\\"}}));
  EXPECT_TRUE(head->more);
  auto middle = ParseKeySlice(json, 2, 3);
  ASSERT_TRUE(middle.has_value()) << middle.error();
  EXPECT_EQ(middle->keys, (Keys{{"c"}, {"d\u00e9"}, {"42"}}));
  EXPECT_TRUE(middle->more);
  auto tail = ParseKeySlice(json, 5, 10);
  ASSERT_TRUE(tail.has_value()) << tail.error();
  EXPECT_EQ(tail->keys, (Keys{{"f"}}));
  EXPECT_FALSE(tail->more);
  auto past = ParseKeySlice(json, 6, 10);
  ASSERT_TRUE(past.has_value());
  EXPECT_TRUE(past->keys.empty());
  EXPECT_FALSE(past->more);
  EXPECT_FALSE(ParseKeySlice(R"(["a", "b)", 2, 5).has_value());  // an unterminated skipped string
}

TEST(ParseKeysTest, ReadsWhatEachDialectWrites) {
  EXPECT_THAT(ParseKeys(R"([["1"]])"), IsOkAndHolds(Keys{{"1"}}));
  EXPECT_THAT(ParseKeys(R"([["1", "a"], ["2", "b"]])"), IsOkAndHolds(Keys{{"1", "a"}, {"2", "b"}}));
  EXPECT_THAT(ParseKeys("[ [ \"x\" ] ,\n [\"y\"] ]"), IsOkAndHolds(Keys{{"x"}, {"y"}}));
  EXPECT_THAT(ParseKeys("[]"), IsOkAndHolds(Keys{}));
  EXPECT_THAT(ParseKeys("[[42]]"), IsOkAndHolds(Keys{{"42"}}));  // an uncast number
  // PostgreSQL writes a one-column key as its bare text.
  EXPECT_THAT(ParseKeys(R"(["1", "a\"b"])"), IsOkAndHolds(Keys{{"1"}, {"a\"b"}}));
  EXPECT_THAT(ParseKeys(R"(["1", ["2"]])"), IsOkAndHolds(Keys{{"1"}, {"2"}}));
}

TEST(ParseKeysTest, DecodesEscapes) {
  EXPECT_THAT(ParseKeys(R"([["a\"b\\c\/d\n"]])"), IsOkAndHolds(Keys{{"a\"b\\c/d\n"}}));
  EXPECT_THAT(ParseKeys(R"([["Zo\u00eb \u65e5 \ud83d\ude00"]])"), IsOkAndHolds(Keys{{"Zoë 日 😀"}}));
  EXPECT_THAT(ParseKeys(R"([["Zoë 日 😀"]])"), IsOkAndHolds(Keys{{"Zoë 日 😀"}}));
}

TEST(ParseKeysTest, RejectsOtherShapes) {
  for (const char* bad : {"", "[", "[[\"1\"]", "[\"1\"", "[\"1\" \"2\"]", "[[\"1\"]] x",
                          "{\"a\":1}", "[[\"unterminated]]", "[[\"bad \\q\"]]", "[[\"\\u12\"]]"}) {
    EXPECT_THAT(ParseKeys(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(KeyToJsonTest, RoundTrips) {
  const std::vector<std::string> key = {"1", "quote\" back\\slash", "tab\there", "日本"};
  const std::string json = KeyToJson(key);
  EXPECT_EQ(json, "[\"1\",\"quote\\\" back\\\\slash\",\"tab\\u0009here\",\"日本\"]");
  EXPECT_THAT(ParseKeys("[" + json + "]"), IsOkAndHolds(Keys{key}));
}

}  // namespace
}  // namespace zcrmsync::change_capture
