#!/usr/bin/env bash
# e2e: the built zcrmsync binary answers --version and --help, and `ping`
# reaches the database named by $1 (postgresql | mariadb | sqlite) through the
# real ODBC driver, without printing the password. Exit 77 = skipped (the
# connection string is not set; scripts/test.sh always sets it).
set -uo pipefail
bin=$1 db=$2
var=ZCRMSYNC_TEST_CONNSTR_$(echo "$db" | tr a-z A-Z)
cs=${!var:-}
[ -n "$cs" ] || { echo "SKIP: $var is not set"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

"$bin" --version | grep -qx "zcrmsync [0-9.]*" || fail "--version"
"$bin" --help | grep -q "ping" || fail "--help does not list ping"

# The password travels through the environment, not the command line.
case "$db" in
  sqlite) templ=$cs ;;
  *) export ZCRMSYNC_E2E_PWD=sync; templ=${cs/PWD=sync/PWD=\$\{ZCRMSYNC_E2E_PWD\}} ;;
esac
out=$("$bin" ping -c "$templ" 2>&1) || fail "ping failed: $out"
echo "$out"
echo "$out" | grep -q "^ok: " || fail "no ok line"
case "$db" in
  sqlite) ;;
  *) echo "$out" | grep -q "PWD=sync" && fail "password printed"
     echo "$out" | grep -q "PWD=\*\*\*" || fail "connection string not shown scrubbed" ;;
esac

# A wrong password fails with exit 1, and the wrong password is not printed.
if [ "$db" != sqlite ]; then
  out=$("$bin" ping -c "${cs/PWD=sync/PWD=N0t-The-Pw}" 2>&1) && fail "ping with a wrong password succeeded"
  echo "$out" | grep -q "N0t-The-Pw" && fail "wrong password printed: $out"
  echo "$out" | grep -q "UNAUTHENTICATED" || fail "wrong password not reported as UNAUTHENTICATED: $out"
fi
echo "PASS"
