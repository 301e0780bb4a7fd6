#!/usr/bin/env bash
# shellcheck disable=SC2015  # 'check && ok || fail' is safe: ok() only echoes
# The .deb end to end, on this machine (issue #6):
#   deb_test.sh BUILD_DIR ZCRMSYNC_BINARY ZOHO_EMULATOR
# builds the package with CPack from BUILD_DIR, runs lintian, installs it with
# dpkg -i (twice: install, then the upgrade path), checks the program, the
# user, the files with their modes and owners, runs the unit's ExecStart as
# systemd would (its user, its env file, a notify socket) against a SQLite
# file and the Zoho emulator, then starts, reloads and stops the unit under
# systemd booted in a container (systemd-nspawn), watchdog included, verifies
# the unit (systemd-analyze), removes the package (config kept), purges it
# (nothing left but the user), and checks the .rpm's contents when rpmbuild
# is there. About 30-50 s.
# Needs root. Any zcrmsync package already installed is purged first and at
# the end, also on failure. Exit 0 pass, 1 fail, 77 skipped (not root).
set -euo pipefail

build_dir=$(cd "$1" && pwd)
binary=$2
emulator=$3
pkg=zcrmsync
unit=/usr/lib/systemd/system/zcrmsync.service
wants_link=/etc/systemd/system/multi-user.target.wants/zcrmsync.service

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: dpkg -i needs root"
  exit 77
fi
for tool in cpack dpkg-deb dpkg-shlibdeps lintian systemd-analyze systemd-nspawn runuser setpriv \
    python3 sqlite3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/lib/deps.sh installs it)"; exit 1; }
done

work=$(mktemp -d /tmp/zcrmsync-deb-test.XXXXXX)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# dpkg refuses to run while apt or another dpkg holds its lock; wait for it
# (only on a lock error, up to 120 s) rather than fail.
dpkg_retry() {
  local out i
  for i in $(seq 1 120); do
    if out=$(dpkg "$@" 2>&1); then
      [ -n "$out" ] && echo "$out"
      return 0
    fi
    if ! grep -q "lock" <<<"$out"; then
      echo "$out"
      return 1
    fi
    [ "$i" = 1 ] && echo "dpkg is locked by another process; waiting"
    sleep 1
  done
  echo "$out"
  return 1
}

purge_if_present() {
  if dpkg-query -W "$pkg" >/dev/null 2>&1; then
    dpkg_retry --purge "$pkg" >/dev/null || true
  fi
}

agent_pid='' emu_pid='' notify_pid=''
cleanup() {
  local rc=$? pid
  for pid in $agent_pid $emu_pid $notify_pid; do kill -9 "$pid" 2>/dev/null || true; done
  purge_if_present
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mode and owner: "640 root:zcrmsync"
perms() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo "missing"; }
expect_perms() {
  local got
  got=$(perms "$1")
  if [ "$got" = "$2" ]; then ok "$1 is $2"; else fail "$1 is '$got', want '$2'"; fi
}

start=$SECONDS
purge_if_present  # left over from an aborted earlier run

# --- build -------------------------------------------------------------------
echo "== cpack -G DEB"
if ! cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
deb=$(ls "$work"/out/${pkg}_*.deb)
echo "built $(basename "$deb") in $((SECONDS - start)) s"

want_version=$("$binary" --version | awk '{print $2}')
[ "$(dpkg-deb -f "$deb" Version)" = "$want_version" ] && ok "Version $want_version" ||
  fail "package Version '$(dpkg-deb -f "$deb" Version)', binary says '$want_version'"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in libodbc2 libcurl4 libc6 libstdc++6 adduser odbcinst procps; do
  tr ',' '\n' <<<"$depends" | awk '{print $1}' | grep -qxF "$dep" && ok "Depends on $dep" ||
    fail "Depends lacks $dep"
done
dpkg-deb -e "$deb" "$work/control"
if [ "$(sort "$work/control/conffiles")" = "$(printf '/etc/zcrmsync/zcrmsync.env\n/etc/zcrmsync/zcrmsync.json')" ]; then
  ok "conffiles: zcrmsync.json, zcrmsync.env"
else
  fail "conffiles: $(tr '\n' ' ' <"$work/control/conffiles")"
fi
for script in postinst prerm postrm; do
  sh -n "$work/control/$script" && [ "$(stat -c %a "$work/control/$script")" = 755 ] &&
    ok "$script parses, mode 755" || fail "$script: syntax or mode"
done

# --- lintian -------------------------------------------------------------------
echo "== lintian"
lintian_start=$SECONDS
if lintian --fail-on error,warning --display-info "$deb" >"$work/lintian.log" 2>&1; then
  ok "lintian: no errors or warnings ($((SECONDS - lintian_start)) s)"
else
  fail "lintian reports errors or warnings"
fi
sed 's/^/  lintian: /' "$work/lintian.log"

# --- install, twice --------------------------------------------------------------
echo "== dpkg -i"
dpkg_retry -i "$deb" || fail "dpkg -i (first install)"
dpkg_retry -i "$deb" || fail "dpkg -i (again: the upgrade path of the scripts)"
[ "$(dpkg-query -W -f='${Status}' $pkg)" = "install ok installed" ] && ok "installed" ||
  fail "dpkg status: $(dpkg-query -W -f='${Status}' $pkg)"

got=$(/usr/bin/zcrmsync --version) && [ "$got" = "zcrmsync $want_version" ] &&
  ok "/usr/bin/zcrmsync --version: $got" || fail "/usr/bin/zcrmsync --version: '${got:-}'"

# The system user and group.
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd zcrmsync) || true
if [ -n "${uid:-}" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/zcrmsync ] &&
   [ "$shell" = /usr/sbin/nologin ] && [ "$(getent group zcrmsync | cut -d: -f3)" = "$gid" ]; then
  ok "system user zcrmsync (uid $uid, group zcrmsync, nologin)"
else
  fail "user zcrmsync: $(getent passwd zcrmsync || echo missing)"
fi

expect_perms /usr/bin/zcrmsync "755 root:root"
expect_perms /etc/zcrmsync "755 root:root"
expect_perms /etc/zcrmsync/zcrmsync.json "640 root:zcrmsync"
expect_perms /etc/zcrmsync/zcrmsync.env "640 root:zcrmsync"
expect_perms "$unit" "644 root:root"
expect_perms /var/lib/zcrmsync "750 zcrmsync:zcrmsync"
expect_perms /usr/share/man/man1/zcrmsync.1.gz "644 root:root"
for doc in README.md CONFIG.md copyright changelog.gz; do
  [ -f "/usr/share/doc/zcrmsync/$doc" ] && ok "doc $doc" || fail "missing /usr/share/doc/zcrmsync/$doc"
done
# deb-systemd-helper links to /lib/systemd/system, the same directory on a merged /usr.
[ "$(readlink -f "$wants_link")" = "$(readlink -f "$unit")" ] && ok "enabled: $wants_link" ||
  fail "not enabled ($wants_link -> '$(readlink "$wants_link" || true)')"

# The shipped example config parses with the real loader, read by the service
# user (so the group permission is what lets it in), with the variables the
# env file would set.
if runuser -u zcrmsync -- env ERP_DB_PASSWORD=x ZOHO_CLIENT_ID=1000.X ZOHO_CLIENT_SECRET=x \
     ZOHO_REFRESH_TOKEN=x /usr/bin/zcrmsync --config /etc/zcrmsync/zcrmsync.json sql install \
     >"$work/sql.out" 2>&1 && grep -q 'CREATE SCHEMA IF NOT EXISTS "zcrmsync"' "$work/sql.out"; then
  ok "example config loads as user zcrmsync (sql install renders $(wc -l <"$work/sql.out") lines)"
else
  fail "example config: $(head -5 "$work/sql.out")"
fi
# Without the env file's variables it names the missing one.
if ! runuser -u zcrmsync -- env -u ERP_DB_PASSWORD /usr/bin/zcrmsync \
       --config /etc/zcrmsync/zcrmsync.json sql install >"$work/sql.err" 2>&1 &&
   grep -q "ERP_DB_PASSWORD is not set" "$work/sql.err"; then
  ok "a missing secret is named: $(grep -m1 ERP_DB_PASSWORD "$work/sql.err")"
else
  fail "missing ERP_DB_PASSWORD not reported: $(head -3 "$work/sql.err")"
fi
if runuser -u nobody -- cat /etc/zcrmsync/zcrmsync.env >/dev/null 2>&1; then
  fail "user nobody can read zcrmsync.env"
else
  ok "other users cannot read zcrmsync.env"
fi

# --- the service, as systemd runs it -------------------------------------------------
# No systemd as PID 1 here, so this does by hand what the unit says: the
# ExecStart line, as User=zcrmsync, in WorkingDirectory, with only the
# EnvironmentFile's variables and a notify socket (abstract, like '@' names
# systemd may use). Then: READY=1, WATCHDOG=1 and STATUS=, JSON log lines,
# SIGHUP (ExecReload) keeps it running, SIGTERM stops it with STOPPING=1 and
# exit 0 within 10 s. The sandboxing directives are not applied here.
echo "== ExecStart as the service"
"$emulator" --port 0 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
url=
for _ in $(seq 1 50); do
  url=$(sed -n 's/^listening on //p' "$work/emu.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "the Zoho emulator did not start: $(cat "$work/emu.err")"

state=/var/lib/zcrmsync
setpriv --reuid=zcrmsync --regid=zcrmsync --init-groups -- sqlite3 "$state/erp.db" \
  "CREATE TABLE customers (id integer PRIMARY KEY, name text, email text);
   INSERT INTO customers VALUES (1, 'Alpha GmbH', 'alpha@example.com');" ||
  fail "cannot create $state/erp.db as zcrmsync"
odbclib=$(dirname "$(find /usr/lib -name libsqlite3odbc.so -print -quit)")
install -d -o zcrmsync -g zcrmsync "$state/odbc"
printf '[SQLite3]\nDriver=%s/libsqlite3odbc.so\n' "$odbclib" >"$state/odbc/odbcinst.ini"
# Written into the installed conffiles, so their modes and owners stay.
cat >/etc/zcrmsync/zcrmsync.json <<JSON
// deb_test.sh: SQLite and the Zoho emulator.
{
  "database": {"dialect": "sqlite", "connection_string": "DRIVER={SQLite3};Database=$state/erp.db;Timeout=5000"},
  "zoho": {"api_base_url": "$url", "accounts_url": "$url", "client_id": "\${ZOHO_CLIENT_ID}",
           "client_secret": "\${ZOHO_CLIENT_SECRET}", "refresh_token": "\${ZOHO_REFRESH_TOKEN}"},
  "sync": {"interval_seconds": 1},
  "mappings": [{"name": "customers", "table": "customers", "module": "Accounts",
                "key_columns": ["id"], "external_id_field": "ERP_Id",
                "fields": [{"column": "name", "field": "Account_Name"}]}],
}
JSON
cat >/etc/zcrmsync/zcrmsync.env <<ENV
# deb_test.sh
ZOHO_CLIENT_ID=zcrmsync-demo
ZOHO_CLIENT_SECRET=zcrmsync-demo-secret
ZOHO_REFRESH_TOKEN=zcrmsync-demo-refresh
ODBCSYSINI=$state/odbc
ENV
expect_perms /etc/zcrmsync/zcrmsync.env "640 root:zcrmsync"
mapfile -t service_env < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' /etc/zcrmsync/zcrmsync.env)
as_service() {
  (cd "$state" && exec setpriv --reuid=zcrmsync --regid=zcrmsync --init-groups -- \
     env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${service_env[@]}" "$@")
}
as_service /usr/bin/zcrmsync --config /etc/zcrmsync/zcrmsync.json install >"$work/install.out" 2>&1 ||
  fail "zcrmsync install (as zcrmsync): $(tail -3 "$work/install.out")"

notify_name="@zcrmsync-deb-test-$$"
python3 - "$notify_name" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1][1:])
s.settimeout(60)
with open(sys.argv[2], "w", buffering=1) as log:
    log.write("bound\n")
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        log.write(msg.replace("\n", "\\n") + "\n")
PY
notify_pid=$!
for _ in $(seq 1 50); do grep -q bound "$work/notify.log" 2>/dev/null && break; sleep 0.1; done

read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
echo "ExecStart: ${exec_start[*]}"
# One subshell that execs (setpriv, env, zcrmsync keep its pid): $! is the agent.
(cd "$state" && exec setpriv --reuid=zcrmsync --regid=zcrmsync --init-groups -- \
   env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${service_env[@]}" NOTIFY_SOCKET="$notify_name" \
   "${exec_start[@]}") >"$work/agent.out" 2>"$work/agent.err" &
agent_pid=$!
wait_for() {  # pattern seconds
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "$1" "$work/notify.log" && return 0
    sleep 0.1
  done
  return 1
}
wait_for '^READY=1' 20 && ok "READY=1 after start" || fail "no READY=1 within 20 s"
wait_for '^WATCHDOG=1' 5 && ok "WATCHDOG=1" || fail "no WATCHDOG=1"
wait_for '^STATUS=' 10 && ok "STATUS: $(grep -m1 '^STATUS=' "$work/notify.log" | cut -c8-)" ||
  fail "no STATUS= line"
kill -HUP "$agent_pid" 2>/dev/null || true
sleep 2
kill -0 "$agent_pid" 2>/dev/null && ok "still running after SIGHUP (ExecReload)" ||
  fail "agent died on SIGHUP"
kill -TERM "$agent_pid" 2>/dev/null || true
stop_start=$SECONDS
agent_rc=timeout
for _ in $(seq 1 120); do
  if ! kill -0 "$agent_pid" 2>/dev/null; then
    wait "$agent_pid" && agent_rc=0 || agent_rc=$?
    break
  fi
  sleep 0.1
done
agent_pid=
[ "$agent_rc" = 0 ] && ok "SIGTERM: exit 0 after $((SECONDS - stop_start)) s" ||
  fail "SIGTERM: exit '$agent_rc' (timeout = still running after 12 s)"
wait_for '^STOPPING=1' 1 && ok "STOPPING=1" || fail "no STOPPING=1"
if python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
for l in lines:
    e = json.loads(l)
    assert {"ts", "level", "component", "msg"} <= e.keys(), l
assert lines, "no log lines"
print(len(lines))' "$work/agent.err" >"$work/json.count" 2>"$work/json.err"; then
  ok "stderr: $(cat "$work/json.count") JSON log lines"
else
  fail "stderr is not JSON lines: $(tail -2 "$work/json.err")"
fi
grep -q 'reload' "$work/agent.err" && ok "the reload is logged" || fail "no reload in the log"
if grep -qE 'zcrmsync-demo-secret|zcrmsync-demo-refresh' "$work/agent.err"; then
  fail "a secret from the env file is in the log"
else
  ok "no secret in the log"
fi
sed 's/^/  notify: /' "$work/notify.log" | head -8
kill "$notify_pid" 2>/dev/null || true

# --- the unit under systemd -----------------------------------------------------------
# systemd 252 boots as PID 1 of a container (systemd-nspawn) whose /usr is
# this machine's (read-only) and whose /etc is a copy of this one, so the
# installed package, its user and its config are all there; /var/lib/zcrmsync
# is shared. A probe unit starts, reloads and stops zcrmsync.service, sandboxed
# as systemd does it in a container, then powers the container off.
echo "== zcrmsync.service under systemd (systemd-nspawn)"
root=$work/root probe=$work/probe
mkdir -p "$root/usr" "$root/var/lib/zcrmsync" "$root/tmp" "$root/root" "$probe"
for d in bin sbin lib lib64; do [ -e "/$d" ] && ln -s "usr/$d" "$root/$d"; done
cp -a /etc "$root/etc"
rm -f "$root/etc/machine-id" "$root/etc/os-release"  # a fresh id; os-release must be a file
cp /usr/lib/os-release "$root/etc/os-release"
cat >"$root/etc/systemd/system/zcrmsync-probe.target" <<'UNIT'
[Unit]
Description=deb_test.sh probe
Requires=basic.target zcrmsync-probe.service
After=basic.target
AllowIsolate=yes
UNIT
cat >"$root/etc/systemd/system/zcrmsync-probe.service" <<'UNIT'
[Unit]
Description=deb_test.sh probe
After=basic.target
[Service]
Type=oneshot
ExecStart=/probe/probe.sh
UNIT
cat >"$probe/probe.sh" <<'SH'
#!/bin/sh
show() {
  echo "== $1"
  systemctl show zcrmsync -p ActiveState -p SubState -p MainPID -p StatusText -p Result -p NRestarts
}
{
  systemctl start zcrmsync; echo "start_rc=$?"
  sleep 4; show started
  pid=$(systemctl show zcrmsync -p MainPID --value)
  echo "user=$(stat -c %U /proc/$pid)"
  grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/$pid/status
  systemctl reload zcrmsync; echo "reload_rc=$?"
  sleep 2; show reloaded
  systemctl stop zcrmsync; echo "stop_rc=$?"
  show stopped
  # The watchdog, shortened to 3 s by a runtime drop-in: the agent's pings keep
  # it alive for 6 s; once frozen (SIGSTOP) systemd kills it.
  mkdir -p /run/systemd/system/zcrmsync.service.d
  printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=1s\n' \
    >/run/systemd/system/zcrmsync.service.d/watchdog.conf
  systemctl daemon-reload
  systemctl start zcrmsync
  sleep 6; show watchdog-alive
  kill -STOP "$(systemctl show zcrmsync -p MainPID --value)"
  sleep 6; show watchdog-frozen
  systemctl stop zcrmsync
  journalctl -u zcrmsync --no-pager -o cat
} >/probe/result 2>&1
systemctl poweroff
SH
chmod +x "$probe/probe.sh"
boot_start=$SECONDS
# --register=no --keep-unit: there is no systemd on the host to talk to.
if timeout 90 systemd-nspawn -D "$root" --register=no --keep-unit --quiet \
     --bind-ro=/usr --bind=/var/lib/zcrmsync --bind="$probe:/probe" \
     -b -- systemd.unit=zcrmsync-probe.target >"$work/nspawn.log" 2>&1 && [ -s "$probe/result" ]; then
  ok "container booted, probed and powered off in $((SECONDS - boot_start)) s"
else
  fail "systemd-nspawn: $(tail -5 "$work/nspawn.log")"
fi
touch "$probe/result"
section() { sed -n "/^== $1\$/,/^[a-z_]*_rc=\\|^== /p" "$probe/result"; }
field() { section "$1" | sed -n "s/^$2=//p" | head -1; }
[ "$(sed -n 's/^start_rc=//p' "$probe/result")" = 0 ] && ok "systemctl start zcrmsync" ||
  fail "systemctl start zcrmsync failed"
[ "$(field started ActiveState)/$(field started SubState)" = active/running ] &&
  ok "active (running), status: $(field started StatusText)" ||
  fail "after start: $(field started ActiveState)/$(field started SubState) $(field started Result)"
grep -q '^user=zcrmsync$' "$probe/result" && ok "runs as zcrmsync" || fail "not running as zcrmsync"
grep -q '^NoNewPrivs:[[:space:]]*1$' "$probe/result" && grep -q '^Seccomp:[[:space:]]*2$' "$probe/result" &&
  grep -q '^CapEff:[[:space:]]*0*$' "$probe/result" &&
  ok "sandboxed: no new privileges, seccomp filter, no capabilities" ||
  fail "sandbox: $(grep -E '^(NoNewPrivs|Seccomp|CapEff):' "$probe/result" | tr '\n' ' ')"
[ "$(sed -n 's/^reload_rc=//p' "$probe/result")" = 0 ] &&
  [ "$(field reloaded MainPID)" = "$(field started MainPID)" ] &&
  [ "$(field reloaded ActiveState)" = active ] &&
  ok "systemctl reload: same process, still active" ||
  fail "reload: rc $(sed -n 's/^reload_rc=//p' "$probe/result"), pid $(field started MainPID) -> $(field reloaded MainPID)"
[ "$(sed -n 's/^stop_rc=//p' "$probe/result")" = 0 ] && [ "$(field stopped Result)" = success ] &&
  [ "$(field stopped ActiveState)" = inactive ] && [ "$(field stopped NRestarts)" = 0 ] &&
  ok "systemctl stop: inactive, result success, no restarts" ||
  fail "stop: $(section stopped | head -7 | tr '\n' ' ')"
[ "$(field watchdog-alive ActiveState)/$(field watchdog-alive NRestarts)" = active/0 ] &&
  ok "WatchdogSec=3s: still running after 6 s (the agent's pings arrive)" ||
  fail "watchdog: $(section watchdog-alive | head -7 | tr '\n' ' ')"
[ "$(field watchdog-frozen Result)" = watchdog ] &&
  ok "frozen agent: killed by the watchdog (Result=watchdog)" ||
  fail "frozen agent: $(section watchdog-frozen | head -7 | tr '\n' ' ')"
grep -q '^{"ts":.*reload' "$probe/result" && ok "journal has the JSON lines, reload included" ||
  fail "journal: $(grep -v '^[A-Za-z_]*=' "$probe/result" | tail -5)"
kill "$emu_pid" 2>/dev/null || true

# --- the unit ------------------------------------------------------------------
echo "== systemd-analyze"
# No systemd as PID 1 here; verify loads the unit offline. --man=no: man
# pages are checked with man(1), absent on minimal machines.
if systemd-analyze verify --man=no "$unit" >"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
  ok "systemd-analyze verify $unit: clean"
else
  fail "systemd-analyze verify:"
  sed 's/^/  /' "$work/verify.log"
fi
for key in Type=notify WatchdogSec= Restart=on-failure User=zcrmsync NoNewPrivileges=yes \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes EnvironmentFile=/etc/zcrmsync/zcrmsync.env \
    "ExecReload=/bin/kill -HUP \$MAINPID"; do
  grep -F -- "$key" "$unit" | grep -qv '^#' || fail "unit lacks $key"
done
if exposure=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1 | tail -1); then
  echo "  $exposure"
  score=$(grep -oE '[0-9]+\.[0-9]+' <<<"$exposure" | head -1)
  # 0 = locked down, 10 = unprotected; systemd calls <= 2.0 "OK".
  awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }' && ok "exposure $score <= 2.0" ||
    fail "exposure '${score:-?}' above 2.0"
else
  fail "systemd-analyze security: $exposure"
fi

# --- remove, then purge ------------------------------------------------------------
echo "== dpkg --remove"
dpkg-query -L "$pkg" >"$work/files"
dpkg_retry --remove "$pkg" || fail "dpkg --remove"
[ ! -e /usr/bin/zcrmsync ] && [ ! -e "$unit" ] && ok "program and unit removed" ||
  fail "program or unit still there after remove"
[ -f /etc/zcrmsync/zcrmsync.json ] && [ -f /etc/zcrmsync/zcrmsync.env ] &&
  ok "config and env file kept after remove" || fail "config lost on remove"

echo "== dpkg --purge"
dpkg_retry --purge "$pkg" || fail "dpkg --purge"
left=()
while read -r f; do
  # Shared directories (/usr, /etc, ...) stay; anything of ours must go.
  case "$f" in *zcrmsync*) [ -e "$f" ] || [ -L "$f" ] && left+=("$f") ;; esac
done <"$work/files"
for f in /etc/zcrmsync /var/lib/zcrmsync "$wants_link" /etc/systemd/system/zcrmsync.service \
    /var/lib/systemd/deb-systemd-helper-enabled/zcrmsync.service.dsh-also; do
  { [ -e "$f" ] || [ -L "$f" ]; } && left+=("$f")
done
if [ ${#left[@]} -eq 0 ]; then ok "purge left nothing behind"; else fail "left after purge: ${left[*]}"; fi
dpkg-query -W "$pkg" >/dev/null 2>&1 && fail "dpkg still knows $pkg after purge" || ok "dpkg forgot $pkg"
getent passwd zcrmsync >/dev/null && ok "user zcrmsync kept after purge (as documented)" ||
  fail "user zcrmsync removed on purge"

# --- the .rpm --------------------------------------------------------------------
if command -v rpmbuild >/dev/null; then
  echo "== cpack -G RPM"
  if cpack --config "$build_dir/CPackConfig.cmake" -G RPM -B "$work/rpm" >"$work/rpm.log" 2>&1; then
    rpm=$(ls "$work"/rpm/${pkg}-*.rpm)
    ok "built $(basename "$rpm")"
    rpm -qlvp "$rpm" >"$work/rpm.files" 2>/dev/null
    for want in "-rw-r----- .* root .* zcrmsync .* /etc/zcrmsync/zcrmsync.json" \
                "-rw-r----- .* root .* zcrmsync .* /etc/zcrmsync/zcrmsync.env" \
                "-rwxr-xr-x .* /usr/bin/zcrmsync" \
                "-rw-r--r-- .* $unit"; do
      grep -qE -- "^$want\$" "$work/rpm.files" && ok "rpm: ${want##* }" || fail "rpm lacks: $want"
    done
    [ "$(rpm -qcp "$rpm" 2>/dev/null | sort | tr '\n' ' ')" = "/etc/zcrmsync/zcrmsync.env /etc/zcrmsync/zcrmsync.json " ] &&
      ok "rpm %config: zcrmsync.json, zcrmsync.env" || fail "rpm %config: $(rpm -qcp "$rpm" | tr '\n' ' ')"
    rpm -qp --scripts "$rpm" 2>/dev/null | grep -q "useradd -r -g zcrmsync" && ok "rpm %pre creates the user" ||
      fail "rpm scripts lack useradd"
    # Directories owned by systemd and the filesystem package must not be claimed.
    rpm -qlp "$rpm" 2>/dev/null | grep -qxE '/usr/lib/systemd(/system)?|/usr/share/man(/man1)?' &&
      fail "rpm claims a system directory" || ok "rpm claims no system directory"
  else
    sed 's/^/  /' "$work/rpm.log"
    fail "cpack -G RPM"
  fi
else
  echo "NOTE: rpmbuild not installed: the .rpm was not built"
fi

echo "== $failures failure(s), $((SECONDS - start)) s"
[ "$failures" = 0 ]
