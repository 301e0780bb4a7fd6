#!/usr/bin/env bash
# Runs every benchmark: builds (Release with debug info), starts the
# throwaway databases like scripts/test.sh does, and prints the figures.
#   bench/run.sh [--rows N] [--reps R] [--only DB]   (arguments go to capture_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib/deps.sh
source scripts/lib/deps.sh
# shellcheck source=../scripts/lib/dbs.sh
source scripts/lib/dbs.sh
deps_install test
# ZCRMSYNC_BENCH_BUILD_DIR: another build folder (e.g. a helper's own); it is
# configured only when it does not exist yet.
BUILD_DIR=${ZCRMSYNC_BENCH_BUILD_DIR:-build/linux-gcc}
if [ -z "${ZCRMSYNC_BENCH_BUILD_DIR:-}" ]; then
  cmake --preset linux-gcc -DZCRMSYNC_BUILD_TESTS=OFF >/dev/null
elif [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake --preset linux-gcc -B "$BUILD_DIR" -DZCRMSYNC_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" --target crm_push_bench capture_bench zcrmsync zoho-emulator
trap dbs_stop EXIT
dbs_start
B=$BUILD_DIR/bench
echo "== Zoho client push (issue #3)"
"$B/crm_push_bench" --op insert
"$B/crm_push_bench" --op upsert
echo "== Capture overhead (issue #4)"
"$B/capture_bench" "$@"
# ENGINE_BENCH_ROWS=100000,300000: the engine bench's row counts (default 100000).
echo "== Sync engine (issue #5): zcrmsync run, PostgreSQL -> emulator"
bench/engine_bench.sh "$BUILD_DIR" ${ENGINE_BENCH_ROWS:+--rows "$ENGINE_BENCH_ROWS"}
