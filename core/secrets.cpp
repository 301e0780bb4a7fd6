#include "core/secrets.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

namespace zcrmsync {
namespace {

// Whether a connection-string attribute holds a secret. Compared in any case
// and ignoring '_', '-' and spaces, so "Access_Token" is "accesstoken". The
// drivers in use and their kin name secrets like this: PWD / Password
// (every driver), SSLPassword / sslpassword (psqlODBC), TLSKeyPwd (MariaDB
// Connector/ODBC), KeyStoreSecret / KeyStorePassword and ClientKey
// ("file:path,password", msodbcsql), TrustStorePassword, KeystorePwd,
// AccessToken / Auth_AccessToken / AuthToken, ClientSecret, ApiKey,
// AccessKey / SecretKey, an encryption Key (SQLCipher builds of sqliteodbc),
// and psqlODBC's pqopt, which passes libpq options (password= among them)
// through whole. Scrubbing a harmless attribute costs nothing; missing a
// secret leaks it.
bool IsSecretAttribute(std::string_view key) {
  std::string k;
  for (char c : AsciiLower(TrimWhitespace(key))) {
    if (c != '_' && c != '-' && c != ' ') k += c;
  }
  for (std::string_view word :
       {"pwd", "password", "passwd", "passphrase", "secret", "token", "apikey", "credential"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  for (std::string_view name :
       {"key", "clientkey", "privatekey", "accesskey", "encryptionkey", "pqopt"}) {
    if (k == name) return true;
  }
  return false;
}

// One attribute of a connection string: [key_begin, value_end) in the input.
struct Attribute {
  std::string_view key;
  size_t value_begin;
  size_t value_end;
};

// Splits per the ODBC grammar: attributes separated by ';', a value in braces
// may contain ';' and '}' doubled as '}}'.
std::vector<Attribute> Split(std::string_view cs) {
  std::vector<Attribute> out;
  size_t i = 0;
  while (i < cs.size()) {
    const size_t eq = cs.find('=', i);
    const size_t semi = cs.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      // A fragment without '=': skip to the next attribute.
      if (semi == std::string_view::npos) break;
      i = semi + 1;
      continue;
    }
    Attribute a{cs.substr(i, eq - i), eq + 1, eq + 1};
    size_t j = eq + 1;
    while (j < cs.size() && cs[j] == ' ') ++j;
    if (j < cs.size() && cs[j] == '{') {
      ++j;
      while (j < cs.size()) {
        if (cs[j] == '}') {
          if (j + 1 < cs.size() && cs[j + 1] == '}') {
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        ++j;
      }
      const size_t end = cs.find(';', j);
      a.value_end = end == std::string_view::npos ? cs.size() : end;
    } else {
      const size_t end = cs.find(';', j);
      a.value_end = end == std::string_view::npos ? cs.size() : end;
    }
    out.push_back(a);
    i = a.value_end + 1;
  }
  return out;
}

std::string Unbrace(std::string_view v) {
  v = TrimWhitespace(v);
  if (v.size() >= 2 && v.front() == '{' && v.back() == '}') {
    std::string out;
    v = v.substr(1, v.size() - 2);
    for (size_t i = 0; i < v.size(); ++i) {
      out += v[i];
      if (v[i] == '}' && i + 1 < v.size() && v[i + 1] == '}') ++i;
    }
    return out;
  }
  return std::string(v);
}

}  // namespace

std::string ScrubConnectionString(std::string_view cs) {
  std::string out;
  size_t copied = 0;
  for (const Attribute& a : Split(cs)) {
    if (!IsSecretAttribute(a.key)) continue;
    out.append(cs.substr(copied, a.value_begin - copied));
    out.append(kRedacted);
    copied = a.value_end;
  }
  out.append(cs.substr(copied));
  return out;
}

std::vector<std::string> ConnectionStringSecrets(std::string_view cs) {
  std::vector<std::string> out;
  for (const Attribute& a : Split(cs)) {
    if (!IsSecretAttribute(a.key)) continue;
    std::string v = Unbrace(cs.substr(a.value_begin, a.value_end - a.value_begin));
    if (!v.empty()) out.push_back(std::move(v));
  }
  return out;
}

std::string RedactSecrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

bool IsSecretKey(std::string_view key) {
  const std::string k = AsciiLower(key);
  for (std::string_view word : {"password", "pwd", "secret", "token", "authorization"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace zcrmsync
