# shellcheck shell=bash
# Throwaway PostgreSQL 15 and MariaDB 10.11 servers on loopback, plus a SQLite
# file, for the integration tests. Debian 12, root, no systemd needed.
#   source scripts/lib/dbs.sh
#   dbs_start    # exports DBS_DIR, ODBCSYSINI and ZCRMSYNC_TEST_CONNSTR_{POSTGRESQL,MARIADB,SQLITE}
#   dbs_stop     # stops only the servers dbs_start started, removes DBS_DIR
# Everything lives in one mktemp folder; ports are the first free ones from
# 55432 and 53306. The ODBC drivers are registered in a private odbcinst.ini.

PGBIN=/usr/lib/postgresql/15/bin
ODBCLIB=/usr/lib/x86_64-linux-gnu/odbc

dbs_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

dbs_free_port() {
  local p=$1
  while dbs_port_in_use "$p"; do p=$((p + 1)); done
  echo "$p"
}

dbs_start() {
  DBS_DIR=$(mktemp -d /tmp/zcrmsync-dbs.XXXXXX) || return 1
  chmod 755 "$DBS_DIR"  # the postgres and mysql users must reach their folders
  export DBS_DIR
  local pg_port my_port
  pg_port=$(dbs_free_port 55432)
  my_port=$(dbs_free_port 53306)

  # PostgreSQL: initdb refuses root, so it runs as the postgres user.
  mkdir -p "$DBS_DIR/pg" "$DBS_DIR/pgsock"
  chown postgres:postgres "$DBS_DIR/pg" "$DBS_DIR/pgsock"
  echo sync >"$DBS_DIR/pgpw"
  chown postgres "$DBS_DIR/pgpw"
  (cd "$DBS_DIR" && runuser -u postgres -- "$PGBIN/initdb" -D "$DBS_DIR/pg/data" -U postgres \
    --pwfile="$DBS_DIR/pgpw" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 -N >"$DBS_DIR/pg-initdb.log" 2>&1) ||
    { cat "$DBS_DIR/pg-initdb.log" >&2; return 1; }
  (cd "$DBS_DIR" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DBS_DIR/pg/data" \
    -l "$DBS_DIR/pg/server.log" -w -t 60 \
    -o "-p $pg_port -k $DBS_DIR/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c deadlock_timeout=200ms" \
    start >/dev/null) || { cat "$DBS_DIR/pg/server.log" >&2; return 1; }
  DBS_PG_PID=$(head -1 "$DBS_DIR/pg/data/postmaster.pid")
  export DBS_PG_PID
  "$PGBIN/psql" -h "$DBS_DIR/pgsock" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE sync LOGIN PASSWORD 'sync'" \
    -c "CREATE DATABASE syncdb OWNER sync" || return 1

  # MariaDB: --no-defaults ignores /etc/mysql. The mysql user comes from
  # mariadb-server's preinst, which the lean install does not run.
  id -u mysql >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin mysql
  mkdir -p "$DBS_DIR/my"
  chown mysql:mysql "$DBS_DIR/my"
  mariadb-install-db --no-defaults --user=mysql --datadir="$DBS_DIR/my/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$DBS_DIR/my-install.log" 2>&1 ||
    { cat "$DBS_DIR/my-install.log" >&2; return 1; }
  mariadbd --no-defaults --user=mysql --datadir="$DBS_DIR/my/data" \
    --socket="$DBS_DIR/my/mysqld.sock" --pid-file="$DBS_DIR/my/mysqld.pid" \
    --port="$my_port" --bind-address=127.0.0.1 --log-error="$DBS_DIR/my/error.log" \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-log-bin \
    --innodb-buffer-pool-size=64M --max-allowed-packet=64M >/dev/null 2>&1 &
  DBS_MY_PID=$!
  export DBS_MY_PID
  local i
  for i in $(seq 1 300); do
    mariadb --no-defaults --socket="$DBS_DIR/my/mysqld.sock" -uroot -e "SELECT 1" >/dev/null 2>&1 && break
    kill -0 "$DBS_MY_PID" 2>/dev/null || { cat "$DBS_DIR/my/error.log" >&2; return 1; }
    sleep 0.1
  done
  # The agent keeps its own objects in a database of their own (zcrmsync...),
  # and reads INNODB_TRX (PROCESS) to tell a rolled-back gap in the change ids
  # from a transaction still running.
  mariadb --no-defaults --socket="$DBS_DIR/my/mysqld.sock" -uroot -e "
    CREATE DATABASE syncdb CHARACTER SET utf8mb4;
    CREATE USER 'sync'@'localhost' IDENTIFIED BY 'sync';
    CREATE USER 'sync'@'127.0.0.1' IDENTIFIED BY 'sync';
    GRANT ALL ON syncdb.* TO 'sync'@'localhost';
    GRANT ALL ON syncdb.* TO 'sync'@'127.0.0.1';
    GRANT ALL ON \`zcrmsync%\`.* TO 'sync'@'localhost';
    GRANT ALL ON \`zcrmsync%\`.* TO 'sync'@'127.0.0.1';
    GRANT PROCESS ON *.* TO 'sync'@'localhost';
    GRANT PROCESS ON *.* TO 'sync'@'127.0.0.1';" || return 1

  # SQLite: a file per run.
  mkdir -p "$DBS_DIR/sqlite"

  # Private ODBC driver registry, independent of /etc/odbcinst.ini.
  mkdir -p "$DBS_DIR/odbc"
  cat >"$DBS_DIR/odbc/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Driver=$ODBCLIB/psqlodbcw.so
[MariaDB Unicode]
Driver=$ODBCLIB/libmaodbc.so
[SQLite3]
Driver=$ODBCLIB/libsqlite3odbc.so
INI
  : >"$DBS_DIR/odbc/odbc.ini"
  export ODBCSYSINI="$DBS_DIR/odbc"
  export ZCRMSYNC_TEST_CONNSTR_POSTGRESQL="DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=$pg_port;DATABASE=syncdb;UID=sync;PWD=sync;"
  # OPTION=67108866: FOUND_ROWS (UPDATE counts matched rows, like the others)
  # + MULTI_STATEMENTS (avoids the driver's crash after trigger DDL).
  # CHARSET=utf8mb4: SQL text keeps characters outside the BMP.
  export ZCRMSYNC_TEST_CONNSTR_MARIADB="DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=$my_port;DATABASE=syncdb;UID=sync;PWD=sync;OPTION=67108866;CHARSET=utf8mb4;"
  export ZCRMSYNC_TEST_CONNSTR_SQLITE="DRIVER={SQLite3};Database=$DBS_DIR/sqlite/test.db;Timeout=5000;"
  echo "dbs: PostgreSQL pid $DBS_PG_PID on 127.0.0.1:$pg_port, MariaDB pid $DBS_MY_PID on 127.0.0.1:$my_port, SQLite in $DBS_DIR/sqlite"
}

dbs_stop() {
  [ -n "${DBS_DIR:-}" ] || return 0
  if [ -f "$DBS_DIR/pg/data/postmaster.pid" ]; then
    (cd "$DBS_DIR" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DBS_DIR/pg/data" -m fast -w stop \
      >/dev/null 2>&1) || { [ -n "${DBS_PG_PID:-}" ] && kill -TERM "$DBS_PG_PID" 2>/dev/null; } || true
  fi
  if [ -n "${DBS_MY_PID:-}" ] && kill -0 "$DBS_MY_PID" 2>/dev/null; then
    kill -TERM "$DBS_MY_PID" 2>/dev/null
    local i
    for i in $(seq 1 300); do kill -0 "$DBS_MY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DBS_MY_PID" 2>/dev/null || true
  fi
  rm -rf "$DBS_DIR"
  unset DBS_DIR DBS_PG_PID DBS_MY_PID
}
