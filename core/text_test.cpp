#include "core/text.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(TextTest, RoundTripsAsciiLatinCjkAndEmoji) {
  const std::string s = "plain Zoë Ærøskøbing 日本語 😀🎉";
  auto w = Utf8ToUtf16(s);
  ASSERT_TRUE(w.has_value());
  // The two emoji lie outside the BMP: each needs a surrogate pair.
  EXPECT_EQ((*w)[w->size() - 1], 0xDF89);
  EXPECT_THAT(Utf16ToUtf8(*w), IsOkAndHolds(s));
}

TEST(TextTest, Empty) {
  EXPECT_THAT(Utf8ToUtf16(""), IsOkAndHolds(std::u16string()));
  EXPECT_THAT(Utf16ToUtf8(u""), IsOkAndHolds(std::string()));
}

TEST(TextTest, RejectsInvalidUtf8) {
  EXPECT_THAT(Utf8ToUtf16("ab\xFF"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Utf8ToUtf16("\xC3"), StatusIs(StatusCode::kInvalidArgument));  // truncated
  EXPECT_THAT(Utf8ToUtf16("\xC0\xAF"), StatusIs(StatusCode::kInvalidArgument));  // overlong '/'
  EXPECT_THAT(Utf8ToUtf16("\xED\xA0\x80"), StatusIs(StatusCode::kInvalidArgument));  // surrogate
  auto r = Utf8ToUtf16("abc\xFF");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("byte 3"), std::string::npos);
}

TEST(TextTest, RejectsUnpairedSurrogates) {
  std::u16string lone_high = u"a";
  lone_high.push_back(0xD83D);
  EXPECT_THAT(Utf16ToUtf8(lone_high), StatusIs(StatusCode::kInvalidArgument));
  std::u16string lone_low;
  lone_low.push_back(0xDE00);
  EXPECT_THAT(Utf16ToUtf8(lone_low), StatusIs(StatusCode::kInvalidArgument));
}

TEST(TextTest, AsciiLowerAndTrim) {
  EXPECT_EQ(AsciiLower("PWD=ÄbC"), "pwd=Äbc");
  EXPECT_EQ(TrimWhitespace("  a b \t\n"), "a b");
  EXPECT_EQ(TrimWhitespace("   "), "");
}

TEST(CheckUtf8Test, AcceptsWhatUtf8ToUtf16AcceptsAndNamesTheBadByte) {
  for (const char* ok : {"", "plain", "Zoë Ø ß 日本 😀 𝄞"}) EXPECT_TRUE(CheckUtf8(ok).ok()) << ok;
  for (const char* bad : {"\xC3", "ab\xFF", "\xED\xA0\x80", "\xC0\xAF"}) {
    Status s = CheckUtf8(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(Utf8ToUtf16(bad).has_value());
  }
  EXPECT_NE(CheckUtf8("ab\xFF").message().find("byte 2"), std::string::npos);
}

}  // namespace
}  // namespace zcrmsync
