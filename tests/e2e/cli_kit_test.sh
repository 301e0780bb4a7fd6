#!/usr/bin/env bash
# e2e: the zcrmsync binary's SQL kit commands on a real database ($3:
# postgresql | mariadb | sqlite) and the Zoho emulator: check (database and
# Zoho), sql install, install, verify, drift after a dropped trigger,
# uninstall. Exit 77 = skipped (no connection string; scripts/test.sh sets it).
set -uo pipefail
bin=$1 emulator=$2 db=$3
var=ZCRMSYNC_TEST_CONNSTR_$(echo "$db" | tr a-z A-Z)
cs=${!var:-}
[ -n "$cs" ] || { echo "SKIP: $var is not set"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
emu_pid=
cleanup() { [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sql() { echo "$1" | isql -k -b "$cs" >/dev/null 2>&1; }

case "$db" in
  postgresql) dialect=postgresql ;;
  mariadb) dialect=mysql ;;
  sqlite) dialect=sqlite ;;
esac
sql "DROP TABLE IF EXISTS e2e_customers"
sql "CREATE TABLE e2e_customers (id integer PRIMARY KEY, name varchar(100), email varchar(200))" ||
  fail "could not create the test table"

"$emulator" --port 0 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
for _ in $(seq 1 50); do
  url=$(sed -n 's/^listening on //p' "$work/emu.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || fail "emulator did not start"

write_config() {  # $1 = the Zoho field the email column maps to
  cat >"$work/config.jsonc" <<JSON
{
  "database": {"dialect": "$dialect", "connection_string": "\${ZCRMSYNC_E2E_CS}", "schema": "zcrmsync_e2e"},
  "zoho": {"api_base_url": "$url", "accounts_url": "$url", "client_id": "zcrmsync-demo",
           "client_secret": "\${ZCRMSYNC_E2E_SECRET}", "refresh_token": "zcrmsync-demo-refresh"},
  "mappings": [{
    "name": "customers", "table": "e2e_customers", "module": "Accounts",
    "key_columns": ["id"], "external_id_field": "ERP_Id",
    "fields": [{"column": "name", "field": "Account_Name"}, {"column": "email", "field": "$1"}],
  }],
}
JSON
}
export ZCRMSYNC_E2E_CS=$cs ZCRMSYNC_E2E_SECRET=zcrmsync-demo-secret
z() { "$bin" --log-level warn --config "$work/config.jsonc" "$@"; }

write_config Website
z uninstall >/dev/null 2>&1 || true  # leftovers of an earlier failed run
out=$(z check 2>&1) || fail "check failed: $out"
echo "$out" | grep -q "^ok:" || fail "check printed no ok line: $out"

write_config Emial
out=$(z check 2>&1) && fail "check accepted a Zoho field that does not exist"
echo "$out" | grep -q "mapping customers: Zoho module Accounts has no field Emial" ||
  fail "check did not name the missing field: $out"
# A text column on a Zoho integer field is a type problem.
write_config Employees
out=$(z check 2>&1) && fail "check accepted a varchar column on an integer field"
echo "$out" | grep -q 'mapping customers: column "email" -> Employees: column type .* is text but the Zoho field is an integer' ||
  fail "check did not explain the type mismatch: $out"
write_config Website

out=$(z sql install) || fail "sql install failed"
echo "$out" | grep -q "zcrmsync_e2e_customers_insert" || fail "sql install shows no insert trigger"
out=$(z install 2>&1) || fail "install failed: $out"
out=$(z verify 2>&1) || fail "verify after install: $out"

# push: captured ERP changes reach the emulator.
sql "INSERT INTO e2e_customers (id, name, email) VALUES (1, 'Alpha GmbH', 'alpha.example')"
sql "INSERT INTO e2e_customers (id, name, email) VALUES (2, 'Beta SA', NULL)"
out=$(z push 2>&1) || fail "push failed: $out"
echo "$out" | grep -q "created 2," || fail "push did not create 2 records: $out"
out=$(z push 2>&1) || fail "second push failed: $out"
echo "$out" | grep -q "pushed: 0 change(s)" || fail "second push was not idle: $out"
token=$(curl -fsS -X POST "$url/oauth/v2/token" -d grant_type=refresh_token -d client_id=zcrmsync-demo \
  -d client_secret=zcrmsync-demo-secret -d refresh_token=zcrmsync-demo-refresh |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
coql=$(curl -fsS -H "Authorization: Zoho-oauthtoken $token" -X POST "$url/crm/v8/coql" \
  -d '{"select_query":"select Account_Name, ERP_Id from Accounts where ERP_Id = '"'"'1'"'"'"}')
echo "$coql" | grep -q '"Account_Name":"Alpha GmbH"' || fail "the pushed record is not in Zoho: $coql"

# run --once: a CRM edit comes back into the ERP row.
zoho_id=$(echo "$coql" | sed -n 's/.*"id":"\([0-9]*\)".*/\1/p')
[ -n "$zoho_id" ] || fail "no Zoho id in: $coql"
curl -fsS -H "Authorization: Zoho-oauthtoken $token" -X PUT "$url/crm/v8/Accounts/$zoho_id" \
  -d '{"data":[{"Account_Name":"Alpha GmbH (CRM)"}]}' >/dev/null || fail "CRM edit failed"
out=$(z run --once 2>&1) || fail "run --once failed: $out"
echo "$out" | grep -q "written to the ERP 1" || fail "run --once did not write the CRM edit back: $out"
name=$(echo "SELECT name FROM e2e_customers WHERE id = 1" | isql -k -b -d'|' -x0x09 "$cs" 2>/dev/null |
  grep -v '^SQL' | grep -o 'Alpha GmbH (CRM)' | head -1)
[ "$name" = "Alpha GmbH (CRM)" ] || fail "the ERP row was not updated"
# ... and the write-back was not captured: the next cycle pushes nothing.
out=$(z run --once 2>&1) || fail "second run --once failed: $out"
echo "$out" | grep -q "pushed: 0 change(s)" || fail "the write-back was captured: $out"

# status and the dead letter.
out=$(z status 2>&1) || fail "status failed: $out"
echo "$out" | grep -q "^customers: 0 change(s) waiting to be pushed, lag 0.0 s, 0 parked, 0 conflict(s) held, initial load done, pulled up to 20" ||
  fail "unexpected status: $out"
echo "$out" | grep -q "^  last cycle: pushed [0-9]*, pulled [0-9]*, merged [0-9]*, conflicts 0, parked 0" ||
  fail "status shows no last cycle: $out"
echo "$out" | grep -q "^Zoho today ([0-9-]* UTC): [1-9][0-9]* calls, [1-9][0-9]* credits" ||
  fail "status shows no Zoho use: $out"
out=$(z status --json 2>&1) || fail "status --json failed: $out"
echo "$out" | grep -q '"customers":{"backlog":0,"conflicts_held":0,"initial_load_done":true,"lag_is_lower_bound":false,"lag_seconds":0.0,"last_cycle":{' ||
  fail "unexpected status --json: $out"
out=$(z errors list 2>&1) || fail "errors list failed: $out"
echo "$out" | grep -q "no parked records" || fail "unexpected errors list: $out"
out=$(z conflicts list 2>&1) || fail "conflicts list failed: $out"
echo "$out" | grep -q "no conflicts waiting" || fail "unexpected conflicts list: $out"
out=$(z errors retry 999 2>&1) && fail "retry of an unknown record succeeded"
echo "$out" | grep -q "999: no open parked record" || fail "unexpected retry message: $out"

# run (no --once) stops cleanly on SIGTERM.
"$bin" --log-level info --config "$work/config.jsonc" run >"$work/run.out" 2>&1 &
run_pid=$!
sleep 1
kill -TERM "$run_pid"
for _ in $(seq 1 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$run_pid" 2>/dev/null && { kill -KILL "$run_pid"; fail "run did not stop on SIGTERM"; }
wait "$run_pid" || fail "run exited non-zero after SIGTERM: $(cat "$work/run.out")"

if [ "$db" = postgresql ]; then
  sql "DROP TRIGGER zcrmsync_e2e_customers_update ON e2e_customers"
else
  sql "DROP TRIGGER zcrmsync_e2e_customers_update"
fi
out=$(z verify 2>&1) && fail "verify missed a dropped trigger"
echo "$out" | grep -q "mapping customers: trigger zcrmsync_e2e_customers_update is missing" ||
  fail "verify did not name the dropped trigger: $out"
z install >/dev/null 2>&1 || fail "re-install failed"
z verify >/dev/null 2>&1 || fail "verify after re-install"

out=$(z uninstall 2>&1) || fail "uninstall failed: $out"
out=$(z verify 2>&1) && fail "verify passed after uninstall"
case "$db" in
  sqlite) ;;
  *) for o in "$out" "$(z check 2>&1)"; do
       echo "$o" | grep -q "PWD=sync" && fail "password printed: $o"
     done ;;
esac
sql "DROP TABLE IF EXISTS e2e_customers"
echo PASS
