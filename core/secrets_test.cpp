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
  // Key files, modes and principals are not secrets.
  const std::string plain =
      "Server=db;UID=sync;SSLMode=require;SSLKey=/etc/k.pem;KeyStoreAuthentication="
      "KeyVaultClientSecret;KeyStorePrincipalId=app;TrustServerCertificate=no";
  EXPECT_EQ(ScrubConnectionString(plain), plain);
  EXPECT_TRUE(ConnectionStringSecrets(plain).empty());
}

// Issue #12 (16j): every secret attribute the ODBC drivers take, not only
// PWD and Password.
TEST(ScrubConnectionStringTest, ScrubsEverySecretAttributeOfTheDrivers) {
  for (const char* key : {"PWD",
                          "Password",
                          "PASSWORD",
                          "OldPassword",
                          "AccessToken",
                          "Access_Token",
                          "Token",
                          "AuthToken",
                          "Auth_AccessToken",
                          "Secret",
                          "ClientSecret",
                          "Client_Secret",
                          "Auth_Client_Secret",
                          "SSLPassword",
                          "sslpassword",
                          "TLSKeyPwd",
                          "KeyStorePassword",
                          "KeystorePwd",
                          "KeyStoreSecret",
                          "TrustStorePassword",
                          "ApiKey",
                          "API_Key",
                          "api-key",
                          "Key",
                          "ClientKey",
                          "PrivateKey",
                          "AccessKey",
                          "SecretKey",
                          "PRIV_KEY_FILE_PWD",
                          "Passphrase",
                          "pqopt"}) {
    const std::string cs = std::string("DRIVER={X};UID=u;") + key + "=hunter2;PORT=1";
    EXPECT_EQ(ScrubConnectionString(cs), std::string("DRIVER={X};UID=u;") + key + "=***;PORT=1")
        << key;
    EXPECT_EQ(ConnectionStringSecrets(cs), std::vector<std::string>{"hunter2"}) << key;
  }
  // Braced values may hold ';', '=' and '}}' (msodbcsql's ClientKey holds
  // the key file's password; pqopt holds libpq options).
  const std::string cs =
      "Driver={ODBC Driver 18 for SQL Server};ClientKey={file:/k.pem,pa;ss}}};Encrypt=yes;"
      "pqopt={sslpassword=p1 password=p2};Access_Token = {t;o=k}";
  EXPECT_EQ(ScrubConnectionString(cs),
            "Driver={ODBC Driver 18 for SQL Server};ClientKey=***;Encrypt=yes;pqopt=***;"
            "Access_Token =***");
  EXPECT_EQ(
      ConnectionStringSecrets(cs),
      (std::vector<std::string>{"file:/k.pem,pa;ss}", "sslpassword=p1 password=p2", "t;o=k"}));
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
