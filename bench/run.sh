#!/usr/bin/env bash
# Runs every benchmark: builds (Release with debug info), starts the
# throwaway databases like scripts/test.sh does, and prints the figures.
#   bench/run.sh [--rows N] [--reps R]     (arguments go to capture_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib/deps.sh
source scripts/lib/deps.sh
# shellcheck source=../scripts/lib/dbs.sh
source scripts/lib/dbs.sh
deps_install test
cmake --preset linux-gcc -DZCRMSYNC_BUILD_TESTS=OFF >/dev/null
cmake --build --preset linux-gcc --target crm_push_bench capture_bench
trap dbs_stop EXIT
dbs_start
B=build/linux-gcc/bench
echo "== Zoho client push (issue #3)"
"$B/crm_push_bench" --op insert
"$B/crm_push_bench" --op upsert
echo "== Capture overhead (issue #4)"
"$B/capture_bench" "$@"
