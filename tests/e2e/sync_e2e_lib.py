"""Shared pieces of the sync engine's end-to-end tests (issue #5): the ERP
database through unixODBC's isql, the zoho-emulator binary through its REST
and admin endpoints, and the zcrmsync binary as a user runs it.

Python 3 standard library only. Nothing here knows a scenario; the tests
(sync_e2e_test.py, sync_crash_test.py) and bench/engine_bench.py use it.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

SKIP = 77  # ctest SKIP_RETURN_CODE: no connection string


class Failure(Exception):
    """A check failed; the message says what was expected and what was seen."""


def check(cond, what):
    if not cond:
        raise Failure(what)


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------------------
# The ERP database.

DIALECTS = {"postgresql": "postgresql", "mariadb": "mysql", "sqlite": "sqlite"}


class Db:
    """One database, driven through isql (autocommit; one statement a line)."""

    NULL = "~NULL~"

    def __init__(self, db):
        self.db = db
        self.dialect = DIALECTS[db]
        self.cs = os.environ.get("ZCRMSYNC_TEST_CONNSTR_" + db.upper(), "")

    def run(self, statements):
        """Runs each statement (a string or a list); returns the rows printed
        by the last ones as lists of strings. Raises on any error."""
        if isinstance(statements, str):
            statements = [statements]
        text = ""
        for s in statements:
            check("\n" not in s, "one statement per line: " + s[:80])
            check(len(s) < 8000, "isql reads at most ~9000 characters a line")
            text += s + "\n"
        p = subprocess.run(["isql", "-k", "-b", "-d|", "-x0x09", "-L4000", self.cs],
                           input=text.encode(), capture_output=True, timeout=300)
        err = p.stderr.decode(errors="replace")
        # isql exits 0 even when a statement fails; its errors go to stderr.
        if p.returncode != 0 or "[ISQL]ERROR" in err:
            raise Failure("SQL failed on %s: %s\n%s" % (self.db, text[:600], err[-2000:]))
        out = p.stdout.decode()
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def query(self, sql):
        return self.run(sql)

    def scalar(self, sql):
        rows = self.run(sql)
        check(len(rows) == 1, "one row expected from %s, got %r" % (sql, rows[:3]))
        return rows[0][0]

    def text(self, col):
        """SQL that shows a column as text, NULL as Db.NULL."""
        t = {"postgresql": "text", "mysql": "CHAR", "sqlite": "TEXT"}[self.dialect]
        return "COALESCE(CAST(%s AS %s), '%s')" % (col, t, self.NULL)

    def money(self, col):
        """A decimal column as exact text (SQLite keeps decimals as REAL: two places)."""
        if self.dialect == "sqlite":
            return "CASE WHEN %s IS NULL THEN '%s' ELSE printf('%%.2f', %s) END" % (col, self.NULL, col)
        return self.text(col)

    def datetime_type(self):
        # MariaDB's TIMESTAMP converts to the session zone and auto-updates.
        return "timestamp" if self.dialect == "postgresql" else "datetime"

    def bool_lit(self, b):
        return ("true" if b else "false") if self.dialect == "postgresql" else ("1" if b else "0")

    def drop_table(self, name):
        self.run("DROP TABLE IF EXISTS %s" % name)

    def insert_rows(self, table, columns, rows, per_statement=40):
        """Multi-row INSERTs of SQL literal tuples (already rendered)."""
        stmts = []
        for i in range(0, len(rows), per_statement):
            chunk = rows[i:i + per_statement]
            stmts.append("INSERT INTO %s (%s) VALUES %s" %
                         (table, ", ".join(columns), ", ".join("(%s)" % r for r in chunk)))
        for i in range(0, len(stmts), 200):
            self.run(stmts[i:i + 200])

    def audit(self, table, audit_table, column):
        """An audit trigger of the test's own: every INSERT/UPDATE/DELETE on
        `table` adds a row (op, id, new and old value of `column`) to
        `audit_table`. It fires for the agent's writes too (echo suppression
        only mutes the kit's triggers)."""
        self.drop_table(audit_table)
        d = self.dialect
        ins = "INSERT INTO %s (op, id, val, old) VALUES" % audit_table
        if d == "postgresql":
            self.run([
                "CREATE TABLE %s (n serial PRIMARY KEY, op char(1), id integer, val varchar(300), old varchar(300))"
                % audit_table,
                "CREATE OR REPLACE FUNCTION %s_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF TG_OP = 'DELETE' THEN %s ('D', OLD.id, NULL, OLD.%s); RETURN OLD; END IF; "
                "IF TG_OP = 'INSERT' THEN %s ('I', NEW.id, NEW.%s, NULL); RETURN NEW; END IF; "
                "%s ('U', NEW.id, NEW.%s, OLD.%s); RETURN NEW; END $$"
                % (audit_table, ins, column, ins, column, ins, column, column),
                "CREATE TRIGGER %s_trg AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION %s_fn()"
                % (audit_table, table, audit_table),
            ])
            return
        if d == "mysql":
            create = "CREATE TABLE %s (n integer AUTO_INCREMENT PRIMARY KEY, op char(1), id integer, " \
                     "val varchar(300), old varchar(300))"
            body = "FOR EACH ROW %s"
        else:
            create = "CREATE TABLE %s (n integer PRIMARY KEY AUTOINCREMENT, op char(1), id integer, " \
                     "val varchar(300), old varchar(300))"
            body = "BEGIN %s; END"
        self.run([
            create % audit_table,
            ("CREATE TRIGGER %s_i AFTER INSERT ON %s " + body)
            % (audit_table, table, "%s ('I', NEW.id, NEW.%s, NULL)" % (ins, column)),
            ("CREATE TRIGGER %s_u AFTER UPDATE ON %s " + body)
            % (audit_table, table, "%s ('U', NEW.id, NEW.%s, OLD.%s)" % (ins, column, column)),
            ("CREATE TRIGGER %s_d AFTER DELETE ON %s " + body)
            % (audit_table, table, "%s ('D', OLD.id, NULL, OLD.%s)" % (ins, column)),
        ])

    def drop_audit(self, table, audit_table):
        if self.dialect == "postgresql":
            self.run("DROP TABLE IF EXISTS %s" % audit_table)
            self.run("DROP FUNCTION IF EXISTS %s_fn() CASCADE" % audit_table)
        else:
            for s in ("i", "u", "d"):
                self.run("DROP TRIGGER IF EXISTS %s_%s" % (audit_table, s))
            self.run("DROP TABLE IF EXISTS %s" % audit_table)


def sql_str(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# The Zoho emulator.

CLIENT_ID = "zcrmsync-demo"
CLIENT_SECRET = "zcrmsync-demo-secret"
REFRESH_TOKEN = "zcrmsync-demo-refresh"

# Calls that change records (the emulator's stats keys start with these).
WRITE_METHODS = ("POST ", "PUT ", "PATCH ", "DELETE ")


def _exact_number(d):
    """Decimals go out as JSON numbers, only when a double keeps them exactly."""
    check(isinstance(d, Decimal) and Decimal(repr(float(d))) == d, "not exact as JSON: %r" % (d,))
    return float(d)


class Emulator:
    def __init__(self, binary, workdir, metadata=None, latency_ms=0, extra=()):
        args = [binary, "--port", "0", "--admin", "--log-level", "warn",
                "--latency-ms", str(latency_ms)]
        if metadata:
            args += ["--metadata", metadata]
        args += list(extra)
        self.out = open(os.path.join(workdir, "emulator.out"), "w+")
        self.err = open(os.path.join(workdir, "emulator.err"), "w")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err)
        self.url = None
        for _ in range(100):
            self.out.seek(0)
            line = self.out.readline()
            if line.startswith("listening on "):
                self.url = line.split()[-1]
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        check(self.url is not None, "the emulator did not start")
        self._token = None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def _call(self, method, path, body=None, headers=None, form=None):
        data = None
        h = dict(headers or {})
        if form is not None:
            data = "&".join("%s=%s" % kv for kv in form.items()).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body, default=_exact_number).encode()
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        doc = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        return status, doc

    def token(self):
        if self._token is None:
            status, doc = self._call("POST", "/oauth/v2/token", form={
                "grant_type": "refresh_token", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN})
            check(status == 200, "token: %s %s" % (status, doc))
            self._token = doc["access_token"]
        return self._token

    def api(self, method, path, body=None):
        """A CRM call as a user of Zoho would make it. Returns (status, json)."""
        return self._call(method, "/crm/v8/" + path, body,
                          {"Authorization": "Zoho-oauthtoken " + self.token()})

    def admin(self, method, what, body=None):
        status, doc = self._call(method, "/__admin/" + what, body)
        check(status == 200, "admin %s: %s %s" % (what, status, doc))
        return doc

    def records(self, module):
        """Every record of a module: {id: fields} (exact decimals)."""
        state = self.admin("GET", "state")
        mod = state["modules"].get(module, {"records": []})
        return {r["id"]: r["fields"] for r in mod["records"]}

    def by_external_id(self, module, field):
        """{external id: [record fields...]}: more than one is a duplicate."""
        out = {}
        for rid, f in self.records(module).items():
            f = dict(f)
            f["id"] = rid
            out.setdefault(f.get(field), []).append(f)
        return out

    def update(self, module, rid, fields):
        rec = dict(fields)
        status, doc = self.api("PUT", "%s/%s" % (module, rid), {"data": [rec]})
        check(status == 200 and doc["data"][0]["status"] == "success",
              "CRM edit of %s %s failed: %s %s" % (module, rid, status, doc))
        return doc["data"][0]["details"]["Modified_Time"]

    def delete(self, module, rid):
        status, doc = self.api("DELETE", "%s/%s" % (module, rid))
        check(status == 200, "CRM delete of %s %s failed: %s %s" % (module, rid, status, doc))

    def reset_token_window(self):
        """Zoho issues 10 access tokens per 10 minutes per refresh token; a
        benchmark's own client calls start afresh."""
        self.admin("POST", "expire_tokens")
        self._token = None

    def stats(self):
        return self.admin("GET", "stats")

    def config(self, **settings):
        return self.admin("POST", "config", settings)

    @staticmethod
    def write_calls(before, after):
        """Record-changing /crm/ calls between two stats snapshots (COQL is a read)."""
        n = 0
        for k, v in after["calls"].items():
            if k.startswith(WRITE_METHODS) and "/crm/" in k and not k.endswith("/coql"):
                n += v - before["calls"].get(k, 0)
        return n

    @staticmethod
    def total_calls(before, after):
        return sum(v - before["calls"].get(k, 0) for k, v in after["calls"].items()
                   if "/crm/" in k)


# ---------------------------------------------------------------------------
# The zcrmsync binary.

class Agent:
    def __init__(self, binary, workdir, db, emulator, schema, mappings, sync=None,
                 time_zone="UTC", max_concurrency=10, agent=None):
        self.binary = binary
        self.emulator = emulator
        self.config_path = os.path.join(workdir, "config-%s.jsonc" % schema)
        self.db = db
        config = {
            "database": {"dialect": db.dialect, "connection_string": "${ZCRMSYNC_E2E_CS}",
                         "schema": schema, "time_zone": time_zone},
            "zoho": {"api_base_url": emulator.url, "accounts_url": emulator.url,
                     "client_id": CLIENT_ID, "client_secret": "${ZCRMSYNC_E2E_SECRET}",
                     "refresh_token": REFRESH_TOKEN, "max_concurrency": max_concurrency},
            "sync": sync or {"interval_seconds": 1},
            "mappings": mappings,
        }
        if agent:
            config["agent"] = agent
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)
        # The agent keeps its access token between runs; here, in the test's folder.
        self.env = dict(os.environ, ZCRMSYNC_E2E_CS=db.cs, ZCRMSYNC_E2E_SECRET=CLIENT_SECRET,
                        ZCRMSYNC_TOKEN_CACHE_DIR=workdir)

    def argv(self, *args, log_level="warn"):
        return [self.binary, "--log-level", log_level, "--config", self.config_path] + list(args)

    def __call__(self, *args, expect=(0,), timeout=600):
        """Runs one command; returns (exit code, stdout + stderr)."""
        p = subprocess.run(self.argv(*args), capture_output=True, env=self.env, timeout=timeout)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        if expect is not None:
            check(p.returncode in expect,
                  "zcrmsync %s exited %d (expected %s):\n%s" %
                  (" ".join(args), p.returncode, expect, out[-4000:]))
        return p.returncode, out

    def start(self, *args, log_level="info", stdout=None):
        return subprocess.Popen(self.argv(*args, log_level=log_level), env=self.env,
                                stdout=stdout or subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def start_watched(self, *args, marker="holding the lease"):
        """Starts a command at log level info; returns (process, event set once
        a log line contains `marker`, list of the lines so far)."""
        proc = self.start(*args, log_level="info", stdout=subprocess.PIPE)
        seen = threading.Event()
        lines = []

        def read():
            for raw in proc.stdout:
                line = raw.decode(errors="replace")
                lines.append(line)
                if marker in line:
                    seen.set()
        threading.Thread(target=read, daemon=True).start()
        return proc, seen, lines

    def run_once(self, expect=(0,)):
        return self("run", "--once", expect=expect)

    def converge(self, max_cycles=6):
        """run --once until a cycle writes nothing on either side."""
        out = ""
        for _ in range(max_cycles):
            _, out = self.run_once()
            if idle_cycle(out):
                return out
        raise Failure("no convergence after %d cycles; last output:\n%s" % (max_cycles, out))


def idle_cycle(out):
    return ("pushed: 0 change(s)" in out and "written to the ERP 0," in out and
            "sent back to Zoho 0," in out and "ERP rows deleted 0," in out)


def main_wrapper(run):
    """Runs a test body: exit 0 on success, 1 with the failure, 77 to skip."""
    if len(sys.argv) < 4:
        print("usage: %s ZCRMSYNC_BINARY EMULATOR_BINARY postgresql|mariadb|sqlite" % sys.argv[0])
        sys.exit(2)
    binary, emulator, db = sys.argv[1], sys.argv[2], sys.argv[3]
    if not os.environ.get("ZCRMSYNC_TEST_CONNSTR_" + db.upper()):
        print("SKIP: ZCRMSYNC_TEST_CONNSTR_%s is not set" % db.upper())
        sys.exit(SKIP)
    with tempfile.TemporaryDirectory() as work:
        started = time.monotonic()
        try:
            run(binary, emulator, Db(db), work)
        except Failure as e:
            print("FAIL:", e, flush=True)
            for name in ("emulator.err",):
                p = os.path.join(work, name)
                if os.path.exists(p) and os.path.getsize(p):
                    print("--- %s (tail)\n%s" % (name, open(p).read()[-2000:]))
            sys.exit(1)
        print("PASS (%.1f s)" % (time.monotonic() - started))
