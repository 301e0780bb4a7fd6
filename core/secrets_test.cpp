#include "core/secrets.h"

#include <gtest/gtest.h>

namespace zcrmsync {
namespace {

TEST(ScrubConnectionStringTest, ScrubsPwdAndPasswordInAnyCase) {
  EXPECT_EQ(ScrubConnectionString("DRIVER={PostgreSQL Unicode};UID=sync;PWD=s3cret;PORT=5432"),
            "DRIVER={PostgreSQL Unicode};UID=sync;PWD=***;PORT=5432");
  EXPECT_EQ(ScrubConnectionString("Server=x;password=abc"), "Server=x;password=***");
  EXPECT_EQ(ScrubConnectionString("Server=x; Pwd =abc;"), "Server=x; Pwd =***;");
  EXPECT_EQ(ScrubConnectionString("PASSWORD=a;pwd=b"), "PASSWORD=***;pwd=***");
}

TEST(ScrubConnectionStringTest, ScrubsBracedValuesContainingSeparators) {
  const std::string cs = "UID=u;PWD={a;b}}c};DATABASE=erp";
  const std::string scrubbed = ScrubConnectionString(cs);
  EXPECT_EQ(scrubbed, "UID=u;PWD=***;DATABASE=erp");
  EXPECT_EQ(ConnectionStringSecrets(cs), std::vector<std::string>{"a;b}c"});
}

TEST(ScrubConnectionStringTest, LeavesOtherKeysAlone) {
  EXPECT_EQ(ScrubConnectionString("DRIVER={SQLite3};Database=/tmp/x.db;"),
            "DRIVER={SQLite3};Database=/tmp/x.db;");
  // "PWDX" and "OldPassword" are not password attributes.
  EXPECT_EQ(ScrubConnectionString("PWDX=1;OldPassword=2"), "PWDX=1;OldPassword=2");
}

TEST(RedactSecretsTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(RedactSecrets("pw hunter2 again hunter2", {"hunter2"}), "pw *** again ***");
  EXPECT_EQ(RedactSecrets("nothing", {""}), "nothing");
}

TEST(IsSecretKeyTest, MatchesSecretNames) {
  EXPECT_TRUE(IsSecretKey("password"));
  EXPECT_TRUE(IsSecretKey("client_secret"));
  EXPECT_TRUE(IsSecretKey("refresh_token"));
  EXPECT_TRUE(IsSecretKey("Authorization"));
  EXPECT_FALSE(IsSecretKey("driver"));
}

}  // namespace
}  // namespace zcrmsync
