#!/usr/bin/env bash
# The sync engine benchmark (issue #5): zcrmsync run --once syncing 100,000
# changed PostgreSQL rows through the zoho-emulator binary at 100 ms latency
# per call and concurrency 10, then a trickle of single-row changes under
# `run`. See bench/engine_bench.py for what is measured.
#   bench/engine_bench.sh [BUILD_DIR] [engine_bench.py options, e.g. --rows 100000,300000]
# BUILD_DIR defaults to build/linux-gcc. Needs ZCRMSYNC_TEST_CONNSTR_POSTGRESQL
# and ODBCSYSINI: bench/run.sh starts the throwaway databases and runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/linux-gcc
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build=$1; shift; fi
for b in "$build/agent/zcrmsync" "$build/emulator/zoho-emulator"; do
  [ -x "$b" ] || { echo "engine_bench: $b is not built (cmake --build --preset linux-gcc --target zcrmsync zoho-emulator)" >&2; exit 2; }
done
exec python3 bench/engine_bench.py --zcrmsync "$build/agent/zcrmsync" \
  --emulator "$build/emulator/zoho-emulator" "$@"
