#!/usr/bin/env bash
# Runs the randomized workload checker (tests/e2e/sync_fuzz_test.py, issue
# #12) with new random seeds for SECONDS, taking PostgreSQL, MariaDB and
# SQLite in turn, and prints each seed with its outcome, then a summary with
# the replay command of every failure.
#   scripts/soak.sh SECONDS [sync_fuzz_test.py options, e.g. --without keychange --rounds 8]
# It builds (preset ci) when a binary is missing. With all three
# ZCRMSYNC_TEST_CONNSTR_* set it uses those databases; else it starts
# throwaway ones (scripts/lib/dbs.sh) and stops them at the end, starting
# them afresh when PostgreSQL's txids pass a million (so the txid shape can
# still reach the next decimal digit). Logs go to a folder it names.
# Exit status: 0 when every seed passed, 1 when one failed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/soak.sh SECONDS [sync_fuzz_test.py options]" >&2
  exit 2
fi
SECONDS_WANTED=$1
shift

if [ ! -x build/ci/agent/zcrmsync ] || [ ! -x build/ci/emulator/zoho-emulator ]; then
  cmake --preset ci >/dev/null
  cmake --build --preset ci --target zcrmsync zoho-emulator
fi

OWN_DBS=0
if [ -z "${ZCRMSYNC_TEST_CONNSTR_POSTGRESQL:-}" ] || [ -z "${ZCRMSYNC_TEST_CONNSTR_MARIADB:-}" ] ||
  [ -z "${ZCRMSYNC_TEST_CONNSTR_SQLITE:-}" ]; then
  # shellcheck source=lib/dbs.sh
  source scripts/lib/dbs.sh
  OWN_DBS=1
  trap dbs_stop EXIT
  trap 'exit 130' INT TERM
  dbs_start
fi

LOGS=$(mktemp -d /tmp/zcrmsync-soak.XXXXXX)
echo "soak: $SECONDS_WANTED s, logs in $LOGS"
end=$((SECONDS + SECONDS_WANTED))
runs=0
passed=0
failures=()
dbs=(postgresql mariadb sqlite)
i=0
while [ "$SECONDS" -lt "$end" ]; do
  db=${dbs[$((i % 3))]}
  i=$((i + 1))
  seed=$(python3 -c 'import random; print(random.SystemRandom().randrange(10**6))')
  log="$LOGS/$db-$seed.log"
  start=$SECONDS
  rc=0
  timeout 1800 tests/e2e/sync_fuzz_test.py --db "$db" --seed "$seed" --rounds 5 "$@" >"$log" 2>&1 || rc=$?
  runs=$((runs + 1))
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "seed $seed $db: PASS ($((SECONDS - start)) s)"
  else
    replay=$(grep -m1 '^replay: ' "$log" | sed 's/^replay: //' || true)
    [ -n "$replay" ] || replay="tests/e2e/sync_fuzz_test.py --db $db --seed $seed --rounds 5 $*"
    why=$(grep -m1 -A2 '^FAIL' "$log" | tail -n +2 | tr '\n' ' ' | cut -c1-200 || true)
    [ "$rc" -eq 124 ] && why="timed out after 1800 s"
    echo "seed $seed $db: FAIL ($((SECONDS - start)) s): $why"
    echo "  replay: $replay   (log: $log)"
    failures+=("seed $seed $db: $replay")
  fi
  if [ "$OWN_DBS" -eq 1 ] && [ "$db" = postgresql ]; then
    txid=$(echo "SELECT pg_current_xact_id()::text" |
      isql -k -b -d, -x0x09 "$ZCRMSYNC_TEST_CONNSTR_POSTGRESQL" 2>/dev/null | tail -1 || echo 0)
    if [[ $txid =~ ^[0-9]+$ ]] && [ "$txid" -gt 1000000 ]; then
      echo "soak: PostgreSQL txid $txid: fresh databases"
      dbs_stop
      dbs_start >/dev/null
    fi
  fi
done

echo
echo "soak: $runs seed(s) in $SECONDS_WANTED s: $passed passed, ${#failures[@]} failed (logs in $LOGS)"
for f in "${failures[@]}"; do
  echo "  $f"
done
[ "${#failures[@]}" -eq 0 ]
