# shellcheck shell=bash
# Installs the Debian 12 packages zcrmsync needs, skipping apt entirely when
# everything is already there (so a second run is fast). Source it, then call
#   deps_install build|test
# as root. "build" is what compiling and running the agent needs; "test" adds
# the throwaway database servers.

ZCRMSYNC_BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config curl sqlite3
  unixodbc unixodbc-dev odbcinst
  odbc-postgresql odbc-mariadb libsqliteodbc
  libspdlog-dev libfmt-dev rapidjson-dev libboost-program-options-dev
  libcurl4-openssl-dev libcpp-httplib-dev zlib1g-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev
)
ZCRMSYNC_TEST_PACKAGES=(
  postgresql-15 mariadb-server-core mariadb-client-core sqlfluff
  # tests/packaging: dpkg-shlibdeps, lintian, rpmbuild, systemd-analyze,
  # systemd-nspawn, and what the .deb depends on beyond the build packages
  dpkg-dev lintian rpm systemd systemd-container adduser procps
  # tests/windows: the mingw-w64 cross build, its MSI, the service under Wine
  g++-mingw-w64-x86-64-posix wixl msitools wine64
  # tests/e2e/agent_service_test.sh: Prometheus' own parser reads /metrics;
  # the sync e2e and crash tests and the engine benchmark are Python 3
  python3-prometheus-client python3 tzdata
)

deps_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

deps_install() {
  local want=("${ZCRMSYNC_BUILD_PACKAGES[@]}")
  [ "${1:-build}" = test ] && want+=("${ZCRMSYNC_TEST_PACKAGES[@]}")
  local missing
  missing=$(deps_missing "${want[@]}")
  # The Zoho SDK and OpenAPI tests run on Node.js. Any node + npm on PATH will
  # do (NodeSource's nodejs bundles npm; naming Debian's npm would clash).
  if [ "${1:-build}" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    missing="$missing nodejs npm"
  fi
  missing=$(echo $missing)
  if [ -z "$missing" ]; then
    echo "deps: all ${#want[@]} packages already installed"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages (run as root to install them):" $missing >&2
    return 1
  fi
  echo "deps: installing" $missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || return 1
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || return 1
}
