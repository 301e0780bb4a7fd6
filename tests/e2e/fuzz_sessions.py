"""ERP sessions for the randomized workload checker (sync_fuzz_test.py).

isql (sync_e2e_lib.Db) runs one autocommit statement a line of at most
~9,000 characters; the workload needs more: statements of 500 rows, a
transaction held open across other work, two transactions open at once. So
each database is driven here by its own client, kept open:
  - PostgreSQL: one psql process per session, fed over stdin;
  - MariaDB: one mariadb client process per session (--batch --force);
  - SQLite: Python's sqlite3 module (one connection per session).
Each session runs one statement at a time and returns (rows, error); an
error inside a transaction rolls it back (the caller's model does the same).
Python 3 standard library only.
"""
import os
import re
import sqlite3
import subprocess
import time

PSQL = "/usr/lib/postgresql/15/bin/psql"


class SessionError(Exception):
    pass


def parse_connstr(cs):
    out = {}
    for part in cs.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip().upper()] = v.strip()
    return out


class _PipeSession:
    """A command-line client fed statements over stdin; a marker line after
    each statement tells where its output ends."""

    marker_sql = None  # format string with {m}

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.n = 0
        self.in_txn = False

    def _send(self, sql):
        self.n += 1
        m = "__zcrmsync_fuzz_%d__" % self.n
        text = sql.strip().rstrip(";").replace("\n", " ") + ";\n" + self.marker_sql.format(m=m) + "\n"
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise SessionError("the client died")
        lines = []
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise SessionError("the client died; output so far: %s" % lines[-5:])
            line = raw.decode(errors="replace").rstrip("\n")
            if line == m:
                break
            lines.append(line)
        return lines

    def _error(self, lines):
        return None

    def execute(self, sql):
        lines = self._send(sql)
        err = self._error(lines)
        if err:
            return None, err
        return [l.split("\t") for l in lines if l != ""], None

    def begin(self):
        rows, err = self.execute(self.begin_sql)
        if err:
            raise SessionError("BEGIN failed: " + err)
        self.in_txn = True

    def commit(self):
        rows, err = self.execute("COMMIT")
        self.in_txn = False
        return err

    def rollback(self):
        self.execute("ROLLBACK")
        self.in_txn = False

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PgSession(_PipeSession):
    marker_sql = "\\echo {m}"
    begin_sql = "BEGIN"

    def __init__(self, cs):
        c = parse_connstr(cs)
        env = dict(os.environ, PGPASSWORD=c.get("PWD", ""), PGCLIENTENCODING="UTF8")
        super().__init__([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=0",
                          "-h", c["SERVER"], "-p", c["PORT"], "-U", c["UID"], "-d", c["DATABASE"]], env)

    def _error(self, lines):
        errs = [l for l in lines if "ERROR:" in l or l.startswith("psql:") or l.startswith("FATAL")]
        return " | ".join(errs) if errs else None

    def execute(self, sql):
        rows, err = super().execute(sql)
        if err and self.in_txn:
            # PostgreSQL aborts the whole transaction on an error.
            self.rollback()
        return rows, err


class MySession(_PipeSession):
    marker_sql = "SELECT '{m}';"
    begin_sql = "START TRANSACTION"

    def __init__(self, cs):
        c = parse_connstr(cs)
        super().__init__(["mariadb", "--no-defaults", "-h", c["SERVER"], "-P", c["PORT"], "-u", c["UID"],
                          "-p" + c.get("PWD", ""), "-D", c["DATABASE"], "--batch", "--skip-column-names",
                          "--unbuffered", "--force", "--default-character-set=utf8mb4"], dict(os.environ))

    def _error(self, lines):
        errs = [l for l in lines if re.match(r"^ERROR \d+", l)]
        return " | ".join(errs) if errs else None

    def execute(self, sql):
        rows, err = super().execute(sql)
        if err and self.in_txn:
            # A deadlock rolls the transaction back; a lock wait timeout only
            # the statement. Either way the workload gives the whole one up.
            self.rollback()
        return rows, err


class LiteSession:
    def __init__(self, cs):
        c = parse_connstr(cs)
        self.conn = sqlite3.connect(c["DATABASE"], timeout=30, isolation_level=None,
                                    check_same_thread=False)
        self.in_txn = False

    def execute(self, sql):
        for attempt in range(20):
            try:
                cur = self.conn.execute(sql)
                rows = [["" if v is None else str(v) for v in r] for r in cur.fetchall()]
                return rows, None
            except sqlite3.OperationalError as e:
                if "locked" in str(e) and not self.in_txn and attempt < 19:
                    time.sleep(0.2)
                    continue
                if self.in_txn:
                    self.rollback()
                return None, str(e)
            except sqlite3.Error as e:
                if self.in_txn:
                    self.rollback()
                return None, str(e)

    def begin(self):
        rows, err = self.execute("BEGIN IMMEDIATE")
        if err:
            raise SessionError("BEGIN failed: " + err)
        self.in_txn = True

    def commit(self):
        self.in_txn = False
        try:
            self.conn.execute("COMMIT")
            return None
        except sqlite3.Error as e:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            return str(e)

    def rollback(self):
        self.in_txn = False
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def close(self):
        self.conn.close()


def open_session(db, cs):
    return {"postgresql": PgSession, "mariadb": MySession, "sqlite": LiteSession}[db](cs)


def burn_pg_txids(cs, count):
    """Uses up `count` PostgreSQL transaction ids (one COMMIT each)."""
    if count <= 0:
        return
    c = parse_connstr(cs)
    env = dict(os.environ, PGPASSWORD=c.get("PWD", ""))
    sql = ("DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$;"
           % count)
    p = subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c["SERVER"], "-p", c["PORT"],
                        "-U", c["UID"], "-d", c["DATABASE"], "-c", sql],
                       env=env, capture_output=True, timeout=600)
    if p.returncode != 0:
        raise SessionError("burning txids failed: " + p.stderr.decode(errors="replace")[-500:])
