#!/usr/bin/env bash
# Runs a Node test script of tests/sdk_compat or tests/oas_conformance (issue #3).
# Usage: run.sh SRC_DIR WORK_DIR SCRIPT [ARGS...]
# Copies SRC_DIR's package.json, package-lock.json and *.mjs into WORK_DIR
# (under the build tree, so the source tree stays clean), runs
# `npm ci --no-audit --no-fund` there only when node_modules is missing or
# older than package-lock.json, then `node SCRIPT ARGS...` in WORK_DIR.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: run.sh SRC_DIR WORK_DIR SCRIPT [ARGS...]" >&2
  exit 2
fi
src=$1 work=$2 script=$3
shift 3
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: '$tool' not found on PATH; these tests need Node.js and npm" \
      "(Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done
mkdir -p "$work"
# cp -p keeps the source mtimes, so the lock file's age is compared faithfully.
cp -p "$src/package.json" "$src/package-lock.json" "$src"/*.mjs "$work/"
stamp="$work/node_modules/.zcrmsync-installed"
if [[ ! -f "$stamp" || "$work/package-lock.json" -nt "$stamp" ]]; then
  (cd "$work" && npm ci --no-audit --no-fund)
  touch "$stamp"
fi
cd "$work"
exec node "$script" "$@"
