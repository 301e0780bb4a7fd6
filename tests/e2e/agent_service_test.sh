#!/usr/bin/env bash
# e2e: `zcrmsync run` as a service (issue #6) on a real database ($3:
# postgresql | mariadb | sqlite) and the Zoho emulator:
#  1. /health and /metrics scraped during a run; the metrics parsed with
#     Prometheus' own text-format parser (Debian python3-prometheus-client);
#  2. graceful shutdown: SIGTERM during a large push (emulator latency) exits
#     0 within 10 s after the batch in flight; `run --once` then finishes the
#     push and every row is in Zoho exactly once;
#  3. config reload: SIGHUP with an invalid config is refused and the agent
#     keeps running; a valid one is applied (the health endpoint moves);
#  4. failover: a second agent stands by and writes nothing; SIGKILL the
#     holder and the standby takes over within the lease timeout; nothing lost
#     or duplicated.
# Exit 77 = skipped (no connection string; scripts/test.sh sets it).
set -uo pipefail
bin=$1 emulator=$2 db=$3
var=ZCRMSYNC_TEST_CONNSTR_$(echo "$db" | tr '[:lower:]' '[:upper:]')
cs=${!var:-}
[ -n "$cs" ] || { echo "SKIP: $var is not set"; exit 77; }
py=/usr/bin/python3
"$py" -c 'import prometheus_client.parser' 2>/dev/null ||
  { echo "FAIL: $py cannot import prometheus_client (apt-get install python3-prometheus-client)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}
# isql runs one statement per line: statements here are joined to one line.
sql() {
  local out
  out=$(echo "$1" | tr '\n' ' ' | isql -k -b "$cs" 2>&1) && ! echo "$out" | grep -q ERROR
}
now_ms() { date +%s%3N; }

case "$db" in
  postgresql) dialect=postgresql ;;
  mariadb) dialect=mysql ;;
  sqlite) dialect=sqlite ;;
esac
table=e2e_svc_customers
# Rows $1..$2, one statement per row on every database, so the change table
# holds one change row per key and the push runs in several batches.
insert_rows() {
  case "$db" in
    postgresql) sql "DO \$\$ BEGIN FOR i IN $1..$2 LOOP
                   INSERT INTO $table (id, name) VALUES (i, 'Customer ' || i); END LOOP; END \$\$" ;;
    # MariaDB stops recursion at 1,000 (max_recursive_iterations): 100 x 100.
    mariadb) sql "INSERT INTO $table (id, name) WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL
                  SELECT n + 1 FROM d WHERE n < 99) SELECT a.n * 100 + b.n + 1,
                  CONCAT('Customer ', a.n * 100 + b.n + 1) FROM d a, d b
                  WHERE a.n * 100 + b.n + 1 BETWEEN $1 AND $2 ORDER BY 1" ;;
    sqlite) sql "WITH RECURSIVE s(n) AS (SELECT $1 UNION ALL SELECT n + 1 FROM s WHERE n < $2)
                 INSERT INTO $table (id, name) SELECT n, 'Customer ' || n FROM s" ;;
  esac || fail "could not insert rows $1..$2"
}
sql "DROP TABLE IF EXISTS $table"
sql "CREATE TABLE $table (id integer PRIMARY KEY, name varchar(100))" ||
  fail "could not create the test table"

"$emulator" --port 0 --admin >"$work/emu.out" 2>"$work/emu.log" &
pids+=($!)
for _ in $(seq 1 50); do
  url=$(sed -n 's/^listening on //p' "$work/emu.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || fail "emulator did not start"
emu_config() { curl -fsS -X POST "$url/__admin/config" -d "$1" >/dev/null || fail "emulator config $1"; }
emu_accounts() { curl -fsS "$url/__admin/stats" | sed -n 's/.*"Accounts":\([0-9]*\).*/\1/p'; }
# Every ERP id 1..$1 is in Zoho exactly once, and nothing else is.
check_zoho() {
  curl -fsS "$url/__admin/state" >"$work/state.json" || fail "emulator state export"
  "$py" - "$work/state.json" "$1" <<'PY' || fail "Zoho does not hold ids 1..$1 exactly once"
import collections, json, sys
state = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
recs = state["modules"].get("Accounts", {}).get("records", [])
ids = collections.Counter(str(r["fields"].get("ERP_Id")) for r in recs)
dups = {k: n for k, n in ids.items() if n > 1}
missing = [i for i in range(1, want + 1) if str(i) not in ids]
extra = [k for k in ids if not k.isdigit() or not 1 <= int(k) <= want]
print(f"zoho: {len(recs)} Accounts, {len(dups)} duplicated, {len(missing)} missing, {len(extra)} unexpected")
sys.exit(1 if dups or missing or extra else 0)
PY
}

write_config() {  # $1 = file, $2 = max_concurrency, $3 = http_listen
  cat >"$1" <<JSON
{
  "database": {"dialect": "$dialect", "connection_string": "\${ZCRMSYNC_E2E_CS}", "schema": "zcrmsync_svc"},
  "zoho": {"api_base_url": "$url", "accounts_url": "$url", "client_id": "zcrmsync-demo",
           "client_secret": "zcrmsync-demo-secret", "refresh_token": "zcrmsync-demo-refresh",
           "max_concurrency": $2},
  "sync": {"interval_seconds": 1, "push_batch_size": 500},
  "agent": {"http_listen": "$3", "lease_seconds": 3},
  "mappings": [{
    "name": "customers", "table": "$table", "module": "Accounts",
    "key_columns": ["id"], "external_id_field": "ERP_Id", "direction": "erp_to_crm",
    "fields": [{"column": "name", "field": "Account_Name"}],
  }],
}
JSON
}
export ZCRMSYNC_E2E_CS=$cs
config=$work/a.jsonc
write_config "$config" 2 127.0.0.1:0
z() { "$bin" --log-level warn --config "$config" "$@"; }
z uninstall >/dev/null 2>&1 || true
out=$(z install 2>&1) || fail "install failed: $out"

start_agent() {  # $1 = name, $2 = config; sets agent_pid
  "$bin" --log-level info --config "$2" run >"$work/$1.log" 2>&1 &
  agent_pid=$!
  pids+=("$agent_pid")
}
wait_log() {  # $1 = log, $2 = pattern, $3 = seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
http_port() { sed -n 's/.*serving \/health and \/metrics.* port=\([0-9]*\).*/\1/p' "$1" | tail -1; }
wait_health() {  # $1 = port, $2 = expected status (200 or 503), $3 = seconds
  for _ in $(seq 1 $(($3 * 10))); do
    code=$(curl -s -o "$work/health.json" -w '%{http_code}' "http://127.0.0.1:$1/health")
    [ "$code" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- 1. health, metrics and sd_notify during a run ----------------------
# A stand-in for systemd's notify socket: every datagram, one per line.
"$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
' "$work/notify.sock" "$work/notify.txt" &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$work/notify.sock start_agent a "$config"
pid_a=$agent_pid
wait_log "$work/a.log" "serving /health" 10 || fail "agent a serves no health endpoint"
port=$(http_port "$work/a.log")
wait_health "$port" 200 10 || fail "/health never answered 200: $(cat "$work/health.json")"
grep -q '"status":"ok"' "$work/health.json" || fail "unexpected /health: $(cat "$work/health.json")"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" || fail "/metrics failed"
"$py" - "$work/metrics.txt" <<'PY' || fail "the metrics do not parse or lack a family"
import sys
from prometheus_client.parser import text_string_to_metric_families
families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def value(name, **labels):
    for f in families.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise SystemExit(f"no sample {name} {labels}")
assert value("zcrmsync_up") == 1
assert value("zcrmsync_lease_held") == 1
assert value("zcrmsync_backlog", mapping="customers") == 0
assert value("zcrmsync_lag_seconds", mapping="customers") == 0
for c in ("pushed", "pulled", "merged", "conflicts", "parked"):
    assert families[f"zcrmsync_{c}"].type == "counter", c
    value(f"zcrmsync_{c}_total", mapping="customers")
assert value("zcrmsync_zoho_calls_total") >= 1
value("zcrmsync_zoho_credits_total")
h = families["zcrmsync_cycle_duration_seconds"]
assert h.type == "histogram"
assert value("zcrmsync_cycle_duration_seconds_count") >= 1
assert value("zcrmsync_cycle_duration_seconds_bucket", le="+Inf") >= 1
print(f"metrics: {len(families)} families parsed")
PY

# ---- 2. SIGTERM during a large push --------------------------------------
rows=2000
emu_config '{"latency_ms": 300}'
insert_rows 1 "$rows"
for _ in $(seq 1 200); do
  n=$(emu_accounts); [ "${n:-0}" -gt 0 ] && break; sleep 0.05
done
[ "${n:-0}" -gt 0 ] || fail "the push never started"
t0=$(now_ms)
kill -TERM "$pid_a"
wait "$pid_a"; rc=$?
elapsed=$(($(now_ms) - t0))
[ "$rc" = 0 ] || fail "run exited $rc after SIGTERM"
[ "$elapsed" -lt 10000 ] || fail "run took ${elapsed} ms to stop"
grep -q "shutdown requested" "$work/a.log" || fail "no shutdown line in the log"
at_stop=$(emu_accounts)
[ "$at_stop" -lt "$rows" ] || fail "the push was not interrupted (all $rows rows pushed before SIGTERM)"
echo "SIGTERM mid-push: stopped in ${elapsed} ms with $at_stop of $rows rows in Zoho"
for n in READY=1 "STATUS=cycle 1 ok: pulled 0, pushed 0, backlog 0" WATCHDOG=1 STOPPING=1; do
  grep -qx "$n" "$work/notify.txt" || fail "systemd was not told $n: $(sort -u "$work/notify.txt")"
done
# The interrupted cycle reports what it pushed and what is left.
grep -Eq "^STATUS=cycle [0-9]+ ok: pulled 0, pushed [1-9][0-9]*, backlog [1-9][0-9]*$" \
  "$work/notify.txt" || fail "no status line for the interrupted cycle"
# The checkpoint was saved: the backlog is what was not pushed yet.
backlog=$(z status --json | sed -n 's/.*"backlog":\([0-9]*\).*/\1/p')
{ [ -n "$backlog" ] && [ "$backlog" -lt "$rows" ]; } || fail "checkpoint not saved: backlog $backlog"
# A second signal exits at once, without waiting for the batch in flight
# (slow Zoho: a batch now takes seconds).
emu_config '{"latency_ms": 1500}'
start_agent a2 "$config"
for _ in $(seq 1 100); do
  n=$(emu_accounts); [ "${n:-0}" -gt "$at_stop" ] && break; sleep 0.05
done
[ "${n:-0}" -gt "$at_stop" ] || fail "the second push never started"
t0=$(now_ms)
kill -TERM "$agent_pid"
sleep 0.3
kill -TERM "$agent_pid"
wait "$agent_pid"; rc=$?
elapsed=$(($(now_ms) - t0))
[ "$rc" = 143 ] || fail "a second SIGTERM gave exit code $rc, not 143"
[ "$elapsed" -lt 1500 ] || fail "a second SIGTERM took ${elapsed} ms"
echo "second SIGTERM: exited in ${elapsed} ms (code 143)"
# Whatever that cut-off batch had sent is sent again, without duplicates.
emu_config '{"latency_ms": 0}'
out=$(z run --once 2>&1) || fail "run --once after SIGTERM failed: $out"
check_zoho "$rows"

# ---- 3. config reload ----------------------------------------------------
start_agent a "$config"
pid_a=$agent_pid
wait_log "$work/a.log" "serving /health" 10 || fail "agent a (2) serves no health endpoint"
port=$(http_port "$work/a.log")
wait_health "$port" 200 10 || fail "/health of agent a (2) never answered 200"
cp "$config" "$work/good.jsonc"
echo '{"database": ' >"$config"  # broken JSON
kill -HUP "$pid_a"
wait_log "$work/a.log" "config reload refused" 10 || fail "an invalid config was not refused"
sed 's/"max_concurrency": 2/"max_concurrency": 3, "bogus": 1/' "$work/good.jsonc" >"$config"
kill -HUP "$pid_a"
sleep 0.5
[ "$(grep -c "config reload refused" "$work/a.log")" = 2 ] || fail "an unknown key was not refused"
kill -0 "$pid_a" 2>/dev/null || fail "agent a died on a bad reload"
wait_health "$port" 200 5 || fail "agent a unhealthy after a refused reload"
# A valid config that moves the health endpoint to a fixed free port.
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
write_config "$config" 4 "127.0.0.1:$port"
kill -HUP "$pid_a"
wait_log "$work/a.log" "config reloaded" 10 || fail "a valid config was not applied"
wait_health "$port" 200 5 || fail "the health endpoint did not move to port $port after the reload"
insert_rows $((rows + 1)) $((rows + 10))
rows=$((rows + 10))
for _ in $(seq 1 100); do [ "$(emu_accounts)" = "$rows" ] && break; sleep 0.1; done
[ "$(emu_accounts)" = "$rows" ] || fail "agent a stopped syncing after the reload"
wait_health "$port" 200 5 || fail "agent a unhealthy after the reload"

# ---- 4. failover -----------------------------------------------------------
write_config "$work/b.jsonc" 4 127.0.0.1:0
start_agent b "$work/b.jsonc"
pid_b=$agent_pid
wait_log "$work/b.log" "another agent holds the lease" 10 || fail "agent b did not stand by"
port_b=$(http_port "$work/b.log")
wait_health "$port_b" 200 5 || fail "standby /health not 200"
grep -q '"status":"standby"' "$work/health.json" || fail "b is not standby: $(cat "$work/health.json")"
insert_rows $((rows + 1)) $((rows + 10))
rows=$((rows + 10))
for _ in $(seq 1 100); do [ "$(emu_accounts)" = "$rows" ] && break; sleep 0.1; done
[ "$(emu_accounts)" = "$rows" ] || fail "the holder did not push while b stood by"
curl -fsS "http://127.0.0.1:$port_b/metrics" >"$work/metrics_b.txt" || fail "/metrics of b failed"
grep -q '^zcrmsync_lease_held{.*} 0$' "$work/metrics_b.txt" || fail "b claims the lease"
grep -q '^zcrmsync_pushed_total{mapping="customers"} 0$' "$work/metrics_b.txt" || fail "b pushed"
grep -q '^zcrmsync_cycles_total{result="ok"} 0$' "$work/metrics_b.txt" || fail "b ran cycles"
{ kill -KILL "$pid_a" && wait "$pid_a"; } 2>/dev/null
t0=$(now_ms)
insert_rows $((rows + 1)) $((rows + 10))
rows=$((rows + 10))
wait_log "$work/b.log" "holding the lease" 10 || fail "b did not take over"
took=$(($(now_ms) - t0))
# lease_seconds 3, plus b's retry interval (1 s) and a little slack.
[ "$took" -lt 5500 ] || fail "b took over after ${took} ms (lease 3 s)"
for _ in $(seq 1 100); do [ "$(emu_accounts)" = "$rows" ] && break; sleep 0.1; done
[ "$(emu_accounts)" = "$rows" ] || fail "b did not push after taking over"
echo "failover: b took over ${took} ms after the holder was killed"
kill -TERM "$pid_b"
wait "$pid_b" || fail "b exited non-zero after SIGTERM"
out=$(z run --once 2>&1) || fail "final run --once failed: $out"
check_zoho "$rows"

# The last cycle's summary for `zcrmsync status` (state row cycle/last).
case "$db" in
  postgresql) state='"zcrmsync_svc"."state"' ;;
  mariadb) state="\`zcrmsync_svc\`.\`state\`" ;;
  sqlite) state='"zcrmsync_svc_state"' ;;
esac
echo "SELECT value FROM $state WHERE name = 'cycle/last'" |
  isql -k -b -d'|' -x0x09 "$cs" 2>/dev/null | grep '^{' >"$work/last.json"
"$py" - "$work/last.json" <<'PY' || fail "bad cycle/last: $(cat "$work/last.json")"
import datetime, json, sys
last = json.load(open(sys.argv[1]))
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
assert last["ok"] is True and last["error"] == "", last
assert last["day"] == today and last["finished_at"].startswith(today), last
assert last["zoho_calls_today"] >= 1 and last["zoho_credits_today"] >= 1, last
assert set(last["mappings"]["customers"]) == {"pushed", "pulled", "merged", "conflicts", "parked"}
assert isinstance(last["duration_ms"], int)
PY

z uninstall >/dev/null 2>&1
sql "DROP TABLE IF EXISTS $table"
echo PASS
