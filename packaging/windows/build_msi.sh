#!/usr/bin/env bash
# Builds the zcrmsync MSI with msitools' wixl (Debian package `wixl`) from
# packaging/windows/zcrmsync.wxs:
#   packaging/windows/build_msi.sh ZCRMSYNC_EXE VERSION OUT.msi
# ZCRMSYNC_EXE is installed as zcrmsync.exe. wixl ignores the Permanent and
# NeverOverwrite attributes of a Component, so they are set afterwards with
# msibuild: the DBA's edited config must survive upgrades and uninstalls.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 ZCRMSYNC_EXE VERSION OUT.msi" >&2
  exit 2
fi
exe=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
for tool in wixl msibuild; do
  command -v "$tool" >/dev/null || { echo "build_msi: $tool is missing (apt install wixl msitools)" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# wixl resolves File/@Source by plain name from the working directory only.
cp "$exe" "$stage/zcrmsync.exe"
cp "$here/zcrmsync.wxs" "$here/zcrmsync.json" "$here/README.md" "$stage/"

# wixl warns (GLib) about the attributes it does not know; those are the two
# fixed below, so its stderr is kept only on failure.
if ! (cd "$stage" && wixl -a x64 -D Version="$version" -o zcrmsync.msi zcrmsync.wxs) \
    2>"$stage/wixl.err"; then
  cat "$stage/wixl.err" >&2
  exit 1
fi
unknown=$(grep -o "has no property named '[A-Za-z]*'" "$stage/wixl.err" | sort -u |
          grep -v -e "'Permanent'" -e "'NeverOverwrite'" || true)
if [ -n "$unknown" ]; then
  echo "build_msi: wixl ignored attributes of zcrmsync.wxs:" >&2
  echo "$unknown" >&2
  exit 1
fi

# msidbComponentAttributes64bit (256) | Permanent (16) | NeverOverwrite (128)
msibuild "$stage/zcrmsync.msi" \
  -q "UPDATE Component SET Attributes = 400 WHERE Component = 'ExampleConfig'"
mkdir -p "$(dirname "$out")"
cp "$stage/zcrmsync.msi" "$out"
echo "build_msi: $out"
