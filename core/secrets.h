// Secret scrubbing for anything that may reach a log line or an error message.
// ODBC drivers echo the password back in the completed connection string, so
// connection strings are never shown unscrubbed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zcrmsync {

inline constexpr std::string_view kRedacted = "***";

// Replaces the value of every attribute that holds a secret with ***, braced
// values ({a;b}}c}) whole. Secret attributes, in any case and ignoring '_',
// '-' and spaces in the name: any name containing pwd, password, passwd,
// passphrase, secret, token, apikey or credential (PWD, SSLPassword,
// TLSKeyPwd, KeyStoreSecret, Access_Token, AuthToken, ClientSecret, API_Key,
// ...), and Key, ClientKey, PrivateKey, AccessKey, EncryptionKey and
// psqlODBC's pqopt (libpq options, password= among them). Other attributes
// are kept as written.
std::string ScrubConnectionString(std::string_view connection_string);

// The values of those attributes, unbraced, so that callers can also scrub
// them from driver messages that quote them.
std::vector<std::string> ConnectionStringSecrets(std::string_view connection_string);

// Replaces every occurrence of each non-empty secret in `text` with ***.
std::string RedactSecrets(std::string_view text, const std::vector<std::string>& secrets);

// True when a key=value field name looks like it holds a secret
// (password, pwd, secret, token, authorization, any case).
bool IsSecretKey(std::string_view key);

}  // namespace zcrmsync
