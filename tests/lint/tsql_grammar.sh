#!/usr/bin/env bash
# The SQL Server scripts cannot be executed here (no SQL Server); this checks
# their T-SQL grammar with Debian's sqlfluff instead. The golden files are
# exactly what the kit renders (change_capture's golden test keeps them so).
# It first proves that sqlfluff does reject a broken script, so a pass means
# something.
set -uo pipefail
dir=$1
command -v sqlfluff >/dev/null || { echo "FAIL: sqlfluff not found (apt-get install sqlfluff)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'SELEC 1 FROM\nGO\n' >"$tmp/broken.sql"
if sqlfluff parse --dialect tsql "$tmp/broken.sql" >/dev/null 2>&1; then
  echo "FAIL: sqlfluff accepted a broken script; the check proves nothing"
  exit 1
fi
status=0
for f in "$dir"/*.sql; do
  # ODBC's ? markers are not T-SQL; the driver turns them into parameters,
  # which is what @p stands for here. The kit's SQL has no ? in literals.
  sed 's/?/@p/g' "$f" >"$tmp/check.sql"
  if sqlfluff parse --dialect tsql "$tmp/check.sql" >"$tmp/out" 2>&1; then
    echo "ok: $f"
  else
    echo "FAIL: $f"
    grep -i "unparsable" "$tmp/out" | head -5
    status=1
  fi
done
exit $status
