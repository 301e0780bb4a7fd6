#!/usr/bin/env bash
# The one test command: installs what is missing (apt-get, as root), builds
# with -Werror, starts throwaway PostgreSQL and MariaDB servers on loopback and
# a SQLite file, runs every test with ctest, and stops what it started.
# Extra arguments go to ctest, e.g.  scripts/test.sh -L unit   or   -R Odbc
# Exit status: non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
# shellcheck source=lib/dbs.sh
source scripts/lib/dbs.sh

deps_install test

cmake --preset ci >/dev/null
cmake --build --preset ci

trap dbs_stop EXIT
trap 'exit 130' INT TERM
dbs_start

# The Zoho OpenAPI description lives beside the project on the development
# machines and in CI; tests that need it say plainly when it is absent.
if [ -z "${ZOHO_OAS_DIR:-}" ] && [ -d "$ROOT/../shared/reference/zoho-oas-v8" ]; then
  export ZOHO_OAS_DIR="$ROOT/../shared/reference/zoho-oas-v8"
fi

ctest --test-dir build/ci --output-on-failure --timeout 300 "$@"
