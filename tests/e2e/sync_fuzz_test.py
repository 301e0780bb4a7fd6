#!/usr/bin/env python3
"""e2e (issue #12): a seeded, randomized workload against the real zcrmsync
binary, the real zoho-emulator binary and a real database, with an oracle.

  sync_fuzz_test.py --db postgresql|mariadb|sqlite [--seed N | --seeds A,B,.. | --random-seeds N]
                    [--rounds R] [--without SHAPE,..] [--only SHAPE,..] [--list-shapes]
                    [--shrink] [--self-check] [--keep] [--agent-log-level LEVEL]
                    [--zcrmsync PATH] [--emulator PATH]
  (ctest's form: sync_fuzz_test.py ZCRMSYNC EMULATOR DB [options])

The database is the one ZCRMSYNC_TEST_CONNSTR_<DB> names (scripts/lib/dbs.sh).
Two ERP tables, a parent and a child with a lookup to it, map to two modules
of the emulator. Each seed sets both sides up (rows inserted before and after
`install`, the initial sync checked), then runs rounds. In a round `zcrmsync
run` works in the background while the workload, drawn from the seed, edits
both sides and faults are injected (--list-shapes names every shape); then a
barrier: faults off, the agent stopped, `run --once` until a cycle does
nothing, and the oracle compares both sides with the test's model.

The oracle (see Oracle below): no ERP change lost, no CRM edit lost, no
record duplicated (one CRM record per external id, every ERP row has one),
no row or record deleted that should live, nothing left unsent (backlog,
parked, held), and a CRM record kept (same Zoho id) through an ERP key change
or a delete + re-insert of its key in one transaction. Each field's expected
value follows its conflict rule; where the rule leaves the winner open (both
sides edited it close together) either side's last value is accepted, but
both sides must hold the same one.

On failure it prints the seed, the round, a replay command and a diff (key,
field, ERP value, CRM value, expected, each side's writes of the round), and
keeps its work folder (checker.log, agent.log, barrier.log). A replay runs
the same workload; the interleaving with the agent (threads, timing) differs
from run to run. --shrink then leaves shapes out one at a time while the
seed still fails the same way, for a smaller replay. --self-check makes the
model forget each field's last CRM edit: a seed with CRM edits must fail.
Exit 0 when every seed passed, 1 on a failure, 77 without a connection string.
"""
import argparse
import concurrent.futures
import copy
import datetime as dt
import http.client
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from sync_e2e_lib import (Agent, Db, Emulator, Failure, SKIP, check, sql_str)  # noqa: E402
from fuzz_sessions import SessionError, burn_pg_txids, open_session  # noqa: E402

SCHEMA = "zcrmsync_fz"

# ---------------------------------------------------------------------------
# Shapes: every workload feature, each switchable (--without, --only).

SHAPES = {
    # ERP side
    "bulk": "statements of 50 to 500 rows (else at most 50)",
    "txn": "multi-statement transactions, some held open across other work",
    "rollback": "transactions rolled back",
    "concurrent": "a second ERP session with its own open transaction (not SQLite)",
    "unmapped": "updates of unmapped columns, alone or with mapped ones, and no-op updates",
    "caseonly": "case-only edits (read, swapcase, write in one transaction)",
    "delete": "ERP deletes",
    "reinsert": "delete + re-insert of the same key (one transaction, or two)",
    "keychange": "ERP key changes (UPDATE of the primary key)",
    "lookup": "the child table: inserts, edits of its lookup to the parent",
    "nulls": "NULLs written on either side",
    "unicode": "non-ASCII values, characters outside the BMP included",
    "autoinc": "MariaDB: the ERP sessions write with auto_increment_increment 2 or 3 (as under Galera)",
    "txid": "PostgreSQL: txids pushed to a decimal digit boundary, then 40-80 statements across it",
    "initial-load": "rows inserted before `install` (queued by the initial load), children after it looking them up",
    # CRM side
    "crm-edit": "CRM edits through the REST API, also of records created this round",
    "crm-delete": "CRM deletes",
    "crm-create": "records created in the CRM",
    "crm-scan": "emulator latency, 201-450 CRM edits, then more edits and deletes during the pull's scan",
    "slow-scan": "with crm-scan: calls slowed to 2.5-3 s; edits and deletes as the pull lists, past its 5 s overlap",
    "conflict": "both sides edit the same field of a record in one round",
    # faults
    "f429": "emulator 429 share",
    "f500": "emulator 500 share",
    "fdrop": "emulator dropped-connection share",
    "locked": "RECORD_LOCKED on some records (emulator locked_ids), kept through part of the barrier",
    "kill": "SIGKILL of `run` at random moments, restarted",
    "batch": "push_batch_size drawn per round from 1 to 4000 (else 4000)",
}

# ---------------------------------------------------------------------------
# The schema: two tables, two modules.


class Field:
    def __init__(self, col, field, kind, rule, direction="both", nullable=True):
        self.col, self.field, self.kind, self.rule = col, field, kind, rule
        self.direction, self.nullable = direction, nullable


TABLES = {"p": "fz_parent", "c": "fz_child"}
MODULES = {"p": "FzParents", "c": "FzChildren"}
MAPPING_NAMES = {"p": "parents", "c": "children"}
FIELDS = {
    "p": [Field("name", "Name", "text", "latest_wins", nullable=False),
          Field("f_erp", "F_Erp", "text", "erp_wins"),
          Field("f_crm", "F_Crm", "text", "crm_wins"),
          Field("f_latest", "F_Latest", "text", "latest_wins"),
          Field("amount", "Amount", "decimal", "erp_wins"),
          Field("qty", "Qty", "int", "crm_wins"),
          Field("f_out", "F_Out", "text", None, "erp_to_crm"),
          Field("f_in", "F_In", "text", None, "crm_to_erp")],
    "c": [Field("name", "Name", "text", "latest_wins", nullable=False),
          Field("note", "Note", "text", "crm_wins"),
          Field("parent_id", "Parent", "lookup", "erp_wins"),
          Field("f_erp", "F_Erp", "text", "erp_wins")],
}
CLOCK_SKEW_TOLERANCE = 1
# latest_wins: the later side wins when the two last writes are this far
# apart (the tolerance, Zoho's whole seconds, the skew estimate's own error).
LATEST_MARGIN = CLOCK_SKEW_TOLERANCE + 2.5
ORDER_EPS = 0.05
NEW_KEY_FROM = 1_000_000  # keys the database hands out (CRM-created rows)


def mappings_config():
    out = []
    for t in ("p", "c"):
        fields = []
        for f in FIELDS[t]:
            e = {"column": f.col, "field": f.field}
            if f.direction != "both":
                e["direction"] = f.direction
            elif f.rule:
                e["conflict_rule"] = f.rule
            fields.append(e)
        out.append({"name": MAPPING_NAMES[t], "table": TABLES[t], "module": MODULES[t],
                    "key_columns": ["id"], "external_id_field": "ERP_Id", "conflict_rule": "latest_wins",
                    "deletes": "propagate", "zoho_triggers": [], "fields": fields})
    return out


def create_tables(db):
    d = db.dialect
    cols = {"p": "name varchar(120) NOT NULL, f_erp varchar(100), f_crm varchar(100), "
                 "f_latest varchar(100), amount decimal(12,2), qty integer, f_out varchar(100), "
                 "f_in varchar(100), memo varchar(100)",
            "c": "name varchar(120) NOT NULL, note varchar(100), parent_id integer, "
                 "f_erp varchar(100), memo varchar(100)"}
    for t in ("c", "p"):
        db.drop_table(TABLES[t])
    for t in ("p", "c"):
        if d == "postgresql":
            db.run("CREATE TABLE %s (id integer GENERATED BY DEFAULT AS IDENTITY (START WITH %d) PRIMARY KEY, %s)"
                   % (TABLES[t], NEW_KEY_FROM, cols[t]))
        elif d == "mysql":
            db.run("CREATE TABLE %s (id integer NOT NULL AUTO_INCREMENT PRIMARY KEY, %s) AUTO_INCREMENT=%d"
                   % (TABLES[t], cols[t], NEW_KEY_FROM))
        else:
            db.run("CREATE TABLE %s (id INTEGER PRIMARY KEY AUTOINCREMENT, %s)" % (TABLES[t], cols[t]))
            db.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('%s', %d)" % (TABLES[t], NEW_KEY_FROM - 1))


# ---------------------------------------------------------------------------
# Values. Every write puts a value the field never held before in this round
# (a counter in it), so an outcome names the write it came from.

DECOR = [" Zürich", " 日本語", " 😀", " 𝄞 clef", " naïve café", " Ωmega", " Straße", " 北京 🎉",
         " O'Brien", " Ærø"]


class Values:
    def __init__(self, rng, shapes):
        self.rng = rng
        self.n = 0
        self.unicode = "unicode" in shapes

    def text(self, side):
        self.n += 1
        v = "%s%dq%s" % (side, self.n, "".join(self.rng.choice("abcdefghjk") for _ in range(3)))
        if self.unicode and self.rng.random() < 0.3:
            v += self.rng.choice(DECOR)
        return v

    def decimal(self):
        self.n += 1
        return Decimal("%d.%02d" % (self.n, self.rng.randrange(100)))

    def int(self):
        self.n += 1
        return self.n


def sql_lit(kind, v):
    if v is None:
        return "NULL"
    if kind == "text":
        return sql_str(v)
    return str(v)


# ---------------------------------------------------------------------------
# The model.


class Write:
    __slots__ = ("v", "t0", "t1", "m")

    def __init__(self, v, t0, t1=None, m=None):
        self.v, self.t0, self.t1, self.m = v, t0, t1, m


class Ent:
    """One logical record: an ERP row and its CRM record."""

    def __init__(self, uid, t):
        self.uid, self.t = uid, t
        self.key = None      # ERP key (None: not known yet, a CRM-created record)
        self.zid = None      # Zoho id (None: not known yet)
        self.anchor = False  # a parent the children look up: never deleted or re-keyed
        self.vals = {}       # agreed values at the round's start (lookups: parent uids)
        self.erp_alive = True
        self.crm_alive = True
        self.start_round()

    def start_round(self):
        self.base = dict(self.vals)
        self.E = {}               # col -> [Write]: ERP writes this round
        self.C = {}               # col -> [Write]: CRM writes this round
        self.row_change = None    # Write of the last captured ERP change of the row
        self.timeline = []        # (time, what): both sides' writes, for reports
        self.erp_ops = set()      # ins upd del reins reins-split key
        self.crm_ops = set()      # upd del create
        self.keep_zid = self.zid  # the CRM record must keep this id (None: any)
        self.created = None       # 'erp' or 'crm' when created this round
        self.locked_by = None     # the ERP session whose open transaction touched it
        self.locked_crm = False   # in the emulator's locked_ids

    def expected_alive(self):
        if self.created == "crm":
            return self.crm_alive
        return self.erp_alive and self.crm_alive

    def values_used(self, col):
        vs = [self.base.get(col)]
        vs += [w.v for w in self.E.get(col, [])] + [w.v for w in self.C.get(col, [])]
        return vs


class Model:
    def __init__(self):
        self.ents = {}
        self.next_uid = 1
        self.next_key = {"p": 1, "c": 1}

    def new(self, t):
        e = Ent(self.next_uid, t)
        self.next_uid += 1
        self.ents[e.uid] = e
        return e

    def fresh_key(self, t):
        k = self.next_key[t]
        self.next_key[t] += 1
        check(k < NEW_KEY_FROM, "out of test keys")
        return k

    def live(self, t=None):
        return [e for e in self.ents.values() if (t is None or e.t == t) and e.erp_alive and e.crm_alive]

    def anchors(self):
        return [e for e in self.ents.values() if e.anchor]



# ---------------------------------------------------------------------------
# The CRM, as a Zoho user reaches it (the test's own calls ride out faults).


def zoho_time(s):
    return dt.datetime.fromisoformat(s).timestamp()


class Crm:
    def __init__(self, emu, log):
        self.emu = emu
        self.log = log

    def call(self, method, path, body=None):
        for attempt in range(200):
            try:
                status, doc = self.emu.api(method, path, body)
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError) as e:
                # fault_drop: the emulator drops before doing the work.
                if attempt % 20 == 19:
                    self.log("  CRM call %s %s: %s, retrying" % (method, path, e))
                time.sleep(0.05)
                continue
            if status in (429, 500):
                time.sleep(0.05)
                continue
            return status, doc
        raise Failure("the test's own CRM call %s %s kept failing" % (method, path))

    def write(self, method, module, records):
        """PUT or POST records; returns per record (ok, details or error doc)."""
        status, doc = self.call(method, module, {"data": records})
        check(doc is not None and "data" in doc, "CRM %s %s: %s %s" % (method, module, status, doc))
        out = []
        for r in doc["data"]:
            out.append((r.get("status") == "success", r))
        return out

    def delete(self, module, ids):
        status, doc = self.call("DELETE", "%s?ids=%s" % (module, ",".join(ids)))
        check(doc is not None and "data" in doc, "CRM delete: %s %s" % (status, doc))
        return [(r.get("status") == "success", r) for r in doc["data"]]

    def state(self):
        st = self.emu.admin("GET", "state")
        out = {}
        for t in ("p", "c"):
            mod = st["modules"].get(MODULES[t], {"records": []})
            out[t] = {r["id"]: r["fields"] for r in mod["records"]}
        return out


# ---------------------------------------------------------------------------
# The agent, in the background, killed and restarted.


class AgentRunner:
    def __init__(self, agent, db, work, log, log_level="info"):
        self.agent, self.db, self.log, self.log_level = agent, db, log, log_level
        self.proc = None
        self.lock = threading.Lock()
        self.logf = open(os.path.join(work, "agent.log"), "ab")
        self.kills = 0
        self.self_exits = []  # (exit code, last error lines)
        self.age_lease_sql = {
            "postgresql": "UPDATE %s.state SET updated_at = updated_at - INTERVAL '1 hour' WHERE name = 'lease'",
            "mysql": "UPDATE %s.state SET updated_at = updated_at - INTERVAL 1 HOUR WHERE name = 'lease'",
            "sqlite": "UPDATE %s_state SET updated_at = strftime('%%Y-%%m-%%d %%H:%%M:%%f', updated_at, "
                      "'-1 hour') WHERE name = 'lease'",
        }[db.dialect] % SCHEMA
        self.stop_event = threading.Event()
        self.thread = None
        self.log_path = os.path.join(work, "agent.log")

    def _start(self):
        self.logf.write(b"=== start %f\n" % time.time())
        self.logf.flush()
        self.proc = self.agent.start("run", log_level=self.log_level, stdout=self.logf)

    def start(self, kill_times, rng):
        """Runs `run` until stop(); SIGKILLs it at kill_times (seconds from now)."""
        with self.lock:
            self._start()
        self.stop_event.clear()
        t_start = time.monotonic()
        pending = sorted(kill_times)

        def loop():
            while not self.stop_event.wait(0.05):
                with self.lock:
                    if self.proc.poll() is not None:
                        rc = self.proc.returncode
                        self.self_exits.append((rc, self._tail_errors()))
                        self._start()
                        continue
                    if pending and time.monotonic() - t_start >= pending[0]:
                        pending.pop(0)
                        self.proc.send_signal(signal.SIGKILL)
                        self.proc.wait()
                        self.kills += 1
                        if rng.random() < 0.8:
                            try:
                                self.db.run(self.age_lease_sql)
                            except Failure:
                                pass
                        self._start()
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        if self.thread:
            self.thread.join()
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.proc.send_signal(signal.SIGKILL)
                    self.proc.wait()
                    self.log("  `run` did not stop within 20 s of SIGTERM; killed")
            self.proc = None
        try:
            self.db.run(self.age_lease_sql)
        except Failure:
            pass

    def _tail_errors(self):
        self.logf.flush()
        with open(self.log_path, "rb") as f:
            f.seek(max(0, os.path.getsize(self.log_path) - 20000))
            lines = f.read().decode(errors="replace").splitlines()
        return [l for l in lines if " ERROR " in l or "error" in l.lower()][-3:]


# ---------------------------------------------------------------------------
# The workload.


class Workload:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.model = ctx.model
        self.vals = ctx.values
        self.shapes = ctx.shapes
        self.crm = ctx.crm
        self.db = ctx.db
        self.sessions = ctx.sessions
        self.log = ctx.log
        self.txn = {}  # session index -> {"undo": [...], "apply": [...], "ents": set}

    # --- helpers -------------------------------------------------------------

    def on(self, shape):
        return shape in self.shapes

    def size(self, avail, cap=500):
        if avail <= 0:
            return 0
        r = self.rng.random()
        if self.on("bulk") and r < 0.08:
            n = self.rng.randint(200, 500)
        elif self.on("bulk") and r < 0.2:
            n = self.rng.randint(50, 200)
        elif r < 0.45:
            n = self.rng.randint(5, 50)
        elif r < 0.75:
            n = self.rng.randint(2, 5)
        else:
            n = 1
        return max(1, min(n, avail, cap))

    def tables(self):
        return ["p", "c"] if self.on("lookup") else ["p"]

    def erp_free(self, e, s):
        return e.locked_by is None or e.locked_by == s

    def pick_erp(self, t, n, s, why):
        """Rows the ERP may write with `why` in this round."""
        out = []
        for e in self.model.ents.values():
            if e.t != t or e.key is None or not e.erp_alive or not self.erp_free(e, s):
                continue
            if why in ("del", "reins", "key") and (e.anchor or e.crm_ops):
                continue
            if why in ("upd", "caseonly") and ("del" in e.crm_ops or "reins-split" in e.erp_ops):
                continue
            if why == "del" and "reins-split" in e.erp_ops:
                continue
            if why in ("upd", "caseonly") and not self.on("conflict") and e.crm_ops:
                continue
            out.append(e)
        out.sort(key=lambda e: e.uid)
        return self.rng.sample(out, min(n, len(out)))

    def pick_crm(self, t, n, why):
        out = []
        for e in self.model.ents.values():
            if e.t != t or e.zid is None or not e.crm_alive or e.locked_crm:
                continue
            if e.created != "crm" and (not e.erp_alive or "reins-split" in e.erp_ops):
                continue
            if why == "del" and (e.anchor or (e.erp_ops - {"ins"}) or e.locked_by is not None):
                continue
            if why == "upd" and not self.on("conflict") and (e.erp_ops - {"ins"}):
                continue
            out.append(e)
        out.sort(key=lambda e: e.uid)
        return self.rng.sample(out, min(n, len(out)))

    def new_value(self, e, f, side):
        """A value this field did not hold in this round; None only when allowed."""
        used = e.values_used(f.col)
        if f.nullable and self.on("nulls") and self.rng.random() < 0.12 and None not in used:
            return None
        if f.kind == "text":
            return self.vals.text(side)
        if f.kind == "decimal":
            return self.vals.decimal()
        if f.kind == "int":
            return self.vals.int()
        if f.kind == "lookup":
            anchors = [a.uid for a in self.model.anchors() if a.uid not in used]
            return self.rng.choice(sorted(anchors)) if anchors else used[-1]
        raise Failure("kind " + f.kind)

    def erp_fields(self, t):
        return [f for f in FIELDS[t] if f.direction in ("both", "erp_to_crm")]

    def crm_fields(self, t):
        return [f for f in FIELDS[t] if f.direction in ("both", "crm_to_erp")]

    def erp_sql_value(self, f, v):
        if f.kind == "lookup":
            return "NULL" if v is None else str(self.model.ents[v].key)
        return sql_lit(f.kind, v)

    def crm_value(self, f, v):
        if v is None:
            return None
        if f.kind == "lookup":
            return {"id": self.model.ents[v].zid}
        if f.kind == "decimal":
            return float(v)
        return v

    def initial_values(self, t, side):
        out = {}
        for f in FIELDS[t]:
            if f.direction == "crm_to_erp" and side == "erp":
                out[f.col] = None
            elif f.direction == "erp_to_crm" and side == "crm":
                out[f.col] = None
            elif f.kind == "lookup":
                anchors = sorted(a.uid for a in self.model.anchors() if a.zid or side == "erp")
                out[f.col] = self.rng.choice(anchors) if anchors and (
                    not self.on("nulls") or self.rng.random() > 0.1) else None
            elif f.nullable and self.on("nulls") and self.rng.random() < 0.1:
                out[f.col] = None
            elif f.kind == "text":
                out[f.col] = self.vals.text(side[0])
            elif f.kind == "decimal":
                out[f.col] = self.vals.decimal()
            else:
                out[f.col] = self.vals.int()
        return out

    # --- ERP statements ------------------------------------------------------

    def exec_erp(self, si, sql, on_done, touched=()):
        """Runs one statement on session si. on_done(t0, t1) records the
        writes once they are committed (at once, or at COMMIT)."""
        s = self.sessions[si]
        for e in touched:
            if s.in_txn:
                e.locked_by = si
                self.txn[si]["ents"].add(e)
        t0 = time.time()
        in_txn = s.in_txn
        attempts = 1 if in_txn else 5
        for a in range(attempts):
            rows, err = s.execute(sql)
            if not err:
                break
            if in_txn:
                if s.in_txn:
                    s.rollback()
                self.log("  ERP transaction on session %d failed (%s); rolled back" % (si, err[:200]))
                self.undo_txn(si)
                return None
            time.sleep(0.2)
        if err:
            raise Failure("ERP statement failed %d times: %s\n%s" % (attempts, err[:500], sql[:300]))
        if in_txn:
            self.txn[si]["apply"].append(lambda t1: on_done(t0, t1))
        else:
            on_done(t0, time.time())
        return rows

    def snapshot(self, si, e):
        """Remembers e's ERP-side state, to restore on ROLLBACK."""
        if si in self.txn and not any(x[0] is e for x in self.txn[si]["undo"]):
            self.txn[si]["undo"].append((e, e.key, e.erp_alive, set(e.erp_ops), e.created, e.keep_zid))

    def begin(self, si):
        self.sessions[si].begin()
        self.txn[si] = {"undo": [], "apply": [], "ents": set(), "new": []}

    def commit(self, si, rollback=False):
        s = self.sessions[si]
        if not s.in_txn:
            return
        if rollback:
            s.rollback()
            self.undo_txn(si)
            return
        err = s.commit()
        t1 = time.time()
        if err:
            self.log("  COMMIT on session %d failed (%s): rolled back" % (si, err[:200]))
            self.undo_txn(si)
            return
        for f in self.txn[si]["apply"]:
            f(t1)
        for e in self.txn[si]["ents"]:
            e.locked_by = None
        del self.txn[si]

    def undo_txn(self, si):
        tx = self.txn.pop(si, None)
        if tx is None:
            return
        for e, key, alive, ops, created, keep in reversed(tx["undo"]):
            e.key, e.erp_alive, e.erp_ops, e.created, e.keep_zid = key, alive, ops, created, keep
        for e in tx["new"]:
            self.model.ents.pop(e.uid, None)
        for e in tx["ents"]:
            e.locked_by = None

    def record_erp_write(self, e, col, v, t0, t1):
        e.E.setdefault(col, []).append(Write(v, t0, t1))

    def touch_row(self, e, t0, t1, what):
        e.row_change = Write(None, t0, t1)
        e.timeline.append((t0, "ERP " + what))

    def insert_sql(self, t, ents):
        cols = ["id"] + [f.col for f in FIELDS[t]]
        rows = []
        for e in ents:
            vals = [str(e.key)] + [self.erp_sql_value(f, e.vals[f.col]) for f in FIELDS[t]]
            rows.append("(" + ", ".join(vals) + ")")
        return "INSERT INTO %s (%s) VALUES %s" % (TABLES[t], ", ".join(cols), ", ".join(rows))

    def op_insert(self, si, burst=False):
        t = self.rng.choice(self.tables())
        n = self.rng.randint(1, 100) if burst else self.size(500)
        ents = []
        for _ in range(n):
            e = self.model.new(t)
            e.start_round()
            e.key = self.model.fresh_key(t)
            e.created = "erp"
            e.erp_ops.add("ins")
            e.vals = self.initial_values(t, "erp")
            e.base = dict(e.vals)
            ents.append(e)
            if si in self.txn:
                self.txn[si]["new"].append(e)

        def done(t0, t1):
            for e in ents:
                self.touch_row(e, t0, t1, "insert")
        self.exec_erp(si, self.insert_sql(t, ents), done, ents)
        return "insert %d %s" % (n, TABLES[t])

    def shared_value(self, ents, f):
        """(value,): one value new to every row of ents (a price change); None
        when there is none (a lookup with every parent used)."""
        if f.nullable and self.on("nulls") and self.rng.random() < 0.12 and \
                not any(None in e.values_used(f.col) for e in ents):
            return (None,)
        if f.kind == "lookup":
            used = set()
            for e in ents:
                used.update(e.values_used(f.col))
            free = sorted(a.uid for a in self.model.anchors() if a.uid not in used)
            return (self.rng.choice(free),) if free else None
        if f.kind == "text":
            return (self.vals.text("e"),)
        if f.kind == "decimal":
            return (self.vals.decimal(),)
        return (self.vals.int(),)

    def op_update(self, si, unmapped=False, small=False):
        t = self.rng.choice(self.tables())
        ents = self.pick_erp(t, self.rng.randint(1, 5) if small else self.size(500), si, "upd")
        if not ents:
            return None
        fields = self.rng.sample(self.erp_fields(t), self.rng.randint(1, 3))
        sets, writes, shared = [], [], []
        for f in fields:
            one = self.shared_value(ents, f) if self.rng.random() < 0.4 else None
            if one is not None:
                sets.append("%s = %s" % (f.col, self.erp_sql_value(f, one[0])))
                writes += [(e, f, one[0]) for e in ents]
                shared.append(f.col)
                continue
            cases = []
            for e in ents:
                v = self.new_value(e, f, "e")
                cases.append("WHEN %d THEN %s" % (e.key, self.erp_sql_value(f, v)))
                writes.append((e, f, v))
            sets.append("%s = CASE id %s ELSE %s END" % (f.col, " ".join(cases), f.col))
        if unmapped:
            sets.append("memo = %s" % sql_str(self.vals.text("m")))
        sql = "UPDATE %s SET %s WHERE id IN (%s)" % (TABLES[t], ", ".join(sets),
                                                     ", ".join(str(e.key) for e in ents))
        for e in ents:
            self.snapshot(si, e)
            e.erp_ops.add("upd")

        def done(t0, t1):
            for e, f, v in writes:
                self.record_erp_write(e, f.col, v, t0, t1)
            for e in ents:
                self.touch_row(e, t0, t1, "update " + ",".join(f.col for f in fields))
        self.exec_erp(si, sql, done, ents)
        return "update %d %s (%s%s%s)" % (len(ents), TABLES[t], ",".join(f.col for f in fields),
                                          "; one value for all: " + ",".join(shared) if shared else "",
                                          "; +memo" if unmapped else "")

    def op_unmapped(self, si):
        t = self.rng.choice(self.tables())
        ents = self.pick_erp(t, self.size(500), si, "upd")
        if not ents:
            return None
        if self.rng.random() < 0.5:
            sql = "UPDATE %s SET memo = %s WHERE id IN (%s)" % (
                TABLES[t], sql_str(self.vals.text("m")), ", ".join(str(e.key) for e in ents))
            what = "memo"
        else:
            sql = "UPDATE %s SET name = name, memo = %s WHERE id IN (%s)" % (
                TABLES[t], sql_str(self.vals.text("m")), ", ".join(str(e.key) for e in ents))
            what = "name = name"
        self.exec_erp(si, sql, lambda t0, t1: None, ents)
        return "update %d %s (unmapped: %s)" % (len(ents), TABLES[t], what)

    def op_caseonly(self, si):
        t = self.rng.choice(self.tables())
        s = self.sessions[si]
        own = s.in_txn
        ents = self.pick_erp(t, self.size(50), si, "caseonly")
        if not ents:
            return None
        if not own:
            self.begin(si)
        lock = "" if self.db.dialect == "sqlite" else " FOR UPDATE"
        rows = self.exec_erp(si, "SELECT id, name FROM %s WHERE id IN (%s)%s" % (
            TABLES[t], ", ".join(str(e.key) for e in ents), lock), lambda t0, t1: None, ents)
        if rows is None:
            return "case-only edit: rolled back"
        by_key = {e.key: e for e in ents}
        writes = []
        for r in rows:
            e = by_key.get(int(r[0]))
            v = r[1]
            if e is None or not v or not v[0].islower():
                continue
            nv = v.swapcase()
            if nv in e.values_used("name"):
                continue
            writes.append((e, nv))
        if writes:
            sql = "UPDATE %s SET name = CASE id %s ELSE name END WHERE id IN (%s)" % (
                TABLES[t], " ".join("WHEN %d THEN %s" % (e.key, sql_str(v)) for e, v in writes),
                ", ".join(str(e.key) for e, _ in writes))
            for e, _ in writes:
                self.snapshot(si, e)
                e.erp_ops.add("upd")

            def done(t0, t1):
                for e, v in writes:
                    self.record_erp_write(e, "name", v, t0, t1)
                    self.touch_row(e, t0, t1, "case-only name")
            self.exec_erp(si, sql, done, [e for e, _ in writes])
        if not own:
            self.commit(si)
        return "case-only edit of %d %s names" % (len(writes), TABLES[t])

    def op_delete(self, si):
        t = self.rng.choice(self.tables())
        ents = self.pick_erp(t, self.size(300), si, "del")
        if not ents:
            return None
        for e in ents:
            self.snapshot(si, e)
            e.erp_ops.add("del")
            e.erp_alive = False

        def done(t0, t1):
            for e in ents:
                self.touch_row(e, t0, t1, "delete")
        self.exec_erp(si, "DELETE FROM %s WHERE id IN (%s)" % (TABLES[t], ", ".join(str(e.key) for e in ents)),
                      done, ents)
        return "delete %d %s" % (len(ents), TABLES[t])

    def read_cols(self, si, t, ents, cols, lock):
        """{key: {col: text or None}} of ents' rows, read on session si."""
        sel = ", ".join("COALESCE(CAST(%s AS %s), '~NULL~')" % (
            c, {"postgresql": "text", "mysql": "CHAR", "sqlite": "TEXT"}[self.db.dialect]) for c in cols)
        tail = " FOR UPDATE" if lock and self.db.dialect != "sqlite" else ""
        rows = self.exec_erp(si, "SELECT id, %s FROM %s WHERE id IN (%s)%s" % (
            sel, TABLES[t], ", ".join(str(e.key) for e in ents), tail), lambda t0, t1: None, ents)
        if rows is None:
            return None
        return {int(r[0]): {c: (None if v == "~NULL~" else v) for c, v in zip(cols, r[1:])} for r in rows}

    def op_reinsert(self, si):
        t = self.rng.choice(self.tables())
        ents = self.pick_erp(t, self.size(200), si, "reins")
        if not ents:
            return None
        s = self.sessions[si]
        split = not s.in_txn and self.rng.random() < 0.3
        own = False
        if not s.in_txn and not split:
            self.begin(si)
            own = True
        # The ERP application re-inserts the row with new values; a CRM -> ERP
        # column it keeps as it was (the ERP never sends it anyway).
        one_way = [f.col for f in FIELDS[t] if f.direction == "crm_to_erp"]
        kept = self.read_cols(si, t, ents, one_way, lock=True) if one_way else {}
        if kept is None:
            return "delete + re-insert: rolled back"
        new_vals = {}
        for e in ents:
            self.snapshot(si, e)
            e.erp_ops.add("reins-split" if split else "reins")
            if split:
                e.keep_zid = None
            new_vals[e.uid] = {}
            for f in FIELDS[t]:
                if f.direction == "crm_to_erp":
                    new_vals[e.uid][f.col] = kept.get(e.key, {}).get(f.col)
                else:
                    new_vals[e.uid][f.col] = self.new_value(e, f, "e")
        keys = ", ".join(str(e.key) for e in ents)

        def done_delete(t0, t1):
            for e in ents:
                self.touch_row(e, t0, t1, "delete (re-insert)")
        if self.exec_erp(si, "DELETE FROM %s WHERE id IN (%s)" % (TABLES[t], keys), done_delete, ents) is None:
            return "delete + re-insert: rolled back"
        saved = {e.uid: e.vals for e in ents}
        for e in ents:
            e.vals = new_vals[e.uid]
        sql = self.insert_sql(t, ents)
        for e in ents:
            e.vals = saved[e.uid]

        def done_insert(t0, t1):
            for e in ents:
                for f in FIELDS[t]:
                    if f.direction != "crm_to_erp":
                        self.record_erp_write(e, f.col, new_vals[e.uid][f.col], t0, t1)
                self.touch_row(e, t0, t1, "re-insert")
        self.exec_erp(si, sql, done_insert, ents)
        if own:
            self.commit(si)
        return "delete + re-insert %d %s (%s)" % (len(ents), TABLES[t],
                                                  "two transactions" if split else "one transaction")

    def op_keychange(self, si):
        t = self.rng.choice(self.tables())
        ents = self.pick_erp(t, self.size(200), si, "key")
        if not ents:
            return None
        moves = [(e, e.key, self.model.fresh_key(t)) for e in ents]
        for e, old, new in moves:
            self.snapshot(si, e)
            e.erp_ops.add("key")
            e.key = new
        sql = "UPDATE %s SET id = CASE id %s ELSE id END WHERE id IN (%s)" % (
            TABLES[t], " ".join("WHEN %d THEN %d" % (old, new) for _, old, new in moves),
            ", ".join(str(old) for _, old, _ in moves))

        def done(t0, t1):
            for e, old, new in moves:
                self.touch_row(e, t0, t1, "key change %d -> %d" % (old, new))
        self.exec_erp(si, sql, done, ents)
        return "key change of %d %s" % (len(ents), TABLES[t])

    # --- CRM calls -------------------------------------------------------------

    def crm_update(self, ents, fields_for, label, parallel=False):
        """PUTs new values (100 records a call; the calls at once when
        parallel) and records each edit the CRM took."""
        t = ents[0].t
        payload, writes = [], []
        for e in ents:
            rec = {"id": e.zid}
            for f in fields_for(e):
                v = self.new_value(e, f, "c")
                if f.kind == "lookup" and v is not None and self.model.ents[v].zid is None:
                    continue
                if not f.nullable and v is None:
                    continue
                rec[f.field] = self.crm_value(f, v)
                writes.append((e, f, v))
            payload.append(rec)
        chunks = [payload[i:i + 100] for i in range(0, len(payload), 100)]

        def put(chunk):
            t0 = time.time()
            results = self.crm.write("PUT", MODULES[t], chunk)
            return t0, results, time.time()
        if parallel and len(chunks) > 1:
            with concurrent.futures.ThreadPoolExecutor(len(chunks)) as pool:
                answers = list(pool.map(put, chunks))
        else:
            answers = [put(c) for c in chunks]
        done = 0
        for chunk, (t0, results, t1) in zip(chunks, answers):
            by_id = {}
            for rec, (ok, r) in zip(chunk, results):
                if ok:
                    by_id[rec["id"]] = zoho_time(r["details"]["Modified_Time"])
                else:
                    self.log("  the test's CRM edit of %s was refused: %s" % (rec["id"], json.dumps(r)[:200]))
            in_chunk = {p["id"] for p in chunk}
            fields_of = {}
            for e, f, v in writes:
                if e.zid in by_id and e.zid in in_chunk:
                    e.C.setdefault(f.col, []).append(Write(v, t0, t1, by_id[e.zid]))
                    e.crm_ops.add("upd")
                    fields_of.setdefault(e.uid, (e, []))[1].append(f.field)
            for e, fs in fields_of.values():
                e.timeline.append((t0, "CRM edit " + ",".join(fs)))
            done += len(by_id)
        return "%s: CRM edit of %d %s" % (label, done, MODULES[t])

    def op_crm_edit(self):
        t = self.rng.choice(self.tables())
        ents = self.pick_crm(t, self.size(200), "upd")
        if not ents:
            return None
        fields = self.crm_fields(t)
        k = self.rng.randint(1, 3)
        return self.crm_update(ents, lambda e: self.rng.sample(fields, min(k, len(fields))), "crm")

    def op_crm_delete(self):
        t = self.rng.choice(self.tables())
        ents = self.pick_crm(t, self.size(100, cap=100), "del")
        if not ents:
            return None
        results = self.crm.delete(MODULES[t], [e.zid for e in ents])
        n = 0
        for e, (ok, r) in zip(ents, results):
            if ok:
                e.crm_alive = False
                e.crm_ops.add("del")
                e.timeline.append((time.time(), "CRM delete"))
                n += 1
            else:
                self.log("  the test's CRM delete of %s was refused: %s" % (e.zid, json.dumps(r)[:200]))
        return "CRM delete of %d %s" % (n, MODULES[t])

    def op_crm_create(self):
        t = self.rng.choice(self.tables())
        n = self.size(100, cap=100)
        ents, payload = [], []
        for _ in range(n):
            e = self.model.new(t)
            e.start_round()
            e.created = "crm"
            e.crm_ops.add("create")
            e.erp_alive = False  # no ERP row until the agent makes one
            e.vals = self.initial_values(t, "crm")
            e.base = dict(e.vals)
            rec = {}
            for f in FIELDS[t]:
                if f.direction == "erp_to_crm":
                    continue
                v = e.vals[f.col]
                if v is not None:
                    rec[f.field] = self.crm_value(f, v)
            ents.append(e)
            payload.append(rec)
        results = self.crm.write("POST", MODULES[t], payload)
        made = 0
        for e, (ok, r) in zip(ents, results):
            if ok:
                e.zid = r["details"]["id"]
                e.keep_zid = e.zid
                made += 1
            else:
                self.model.ents.pop(e.uid)
                self.log("  the test's CRM create was refused: %s" % json.dumps(r)[:200])
        return "CRM create of %d %s" % (made, MODULES[t])

    def op_crm_fresh(self):
        """Edits in the CRM records the ERP created in this round, once the
        agent has created them (maybe in a run that a kill cut short)."""
        fresh = [e for e in self.model.ents.values()
                 if e.created == "erp" and e.zid is None and e.erp_alive and e.erp_ops == {"ins"}
                 and e.locked_by is None]
        if not fresh:
            return None
        state = self.crm.state()
        found = []
        for e in fresh:
            for zid, f in state[e.t].items():
                if f.get("ERP_Id") == str(e.key):
                    found.append((e, zid))
                    break
        if not found:
            return None
        found = self.rng.sample(found, min(len(found), self.rng.randint(1, 20)))
        out = []
        for t in ("p", "c"):
            ents = []
            for e, zid in found:
                if e.t == t:
                    e.zid = zid
                    e.keep_zid = zid  # once Zoho holds it, the record stays
                    ents.append(e)
            if ents:
                fields = self.crm_fields(t)
                out.append(self.crm_update(ents, lambda e: self.rng.sample(fields, 1), "fresh"))
        return "; ".join(out)

    def op_crm_scan(self):
        """A pull that scans several pages while the CRM keeps changing."""
        t = "p"
        ents = self.pick_crm(t, self.rng.randint(201, 450), "upd")
        if len(ents) < 201:
            return None
        if self.on("slow-scan") and self.rng.random() < 0.5:
            return self.slow_scan(ents)
        latency = self.rng.choice([100, 200, 300])
        self.crm.emu.config(latency_ms=latency)
        fields = [f for f in self.crm_fields(t)]
        out = [self.crm_update(ents, lambda e: [self.rng.choice(fields)], "scan (latency %d ms)" % latency)]
        # More edits and deletes while the agent lists those pages.
        for _ in range(self.rng.randint(2, 6)):
            time.sleep(self.rng.uniform(0.05, 0.6))
            if self.on("crm-delete") and self.rng.random() < 0.4:
                r = self.op_crm_delete()
            else:
                few = self.pick_crm(t, self.rng.randint(1, 3), "upd")
                r = self.crm_update(few, lambda e: [self.rng.choice(fields)], "during scan") if few else None
            if r:
                out.append(r)
        return "; ".join(out)

    def slow_scan(self, ents):
        """A pull that lists pages for seconds while the CRM changes: every
        call is slowed to 2.5-3 s, 201-450 records are edited at once, and
        more than the pull's 5 s overlap later, as soon as the agent asks
        for a page of them, records are edited (they move to the end of the
        list) and others deleted; 6 s later one more is edited (listed, it
        moves the watermark past those deletes)."""
        t = "p"
        fields = self.crm_fields(t)
        latency = self.rng.choice([2500, 3000])
        self.crm.emu.config(latency_ms=latency)
        t_edit = time.time()  # the emulator does the work when a call arrives
        out = [self.crm_update(ents, lambda e: [self.rng.choice(fields)],
                               "slow scan (%d ms a call): at once" % latency, parallel=True)]
        # Past the overlap (Zoho's If-Modified-Since is exclusive).
        time.sleep(max(0, t_edit + 5.2 - time.time()))
        key = "GET /crm/v8/" + MODULES[t]
        seen = self.crm.emu.stats()["calls"].get(key, 0)
        deadline = time.time() + 4 * latency / 1000
        while time.time() < deadline and self.crm.emu.stats()["calls"].get(key, 0) == seen:
            time.sleep(0.05)
        asked = self.crm.emu.stats()["calls"].get(key, 0) > seen
        t_page = time.time()
        few = self.rng.sample([e for e in ents if e.crm_alive and not e.locked_crm], self.rng.randint(1, 3))
        out.append(self.crm_update(few, lambda e: [self.rng.choice(fields)],
                                   "as the agent asked for a page" if asked else "(the agent asked for no page)"))
        if self.on("crm-delete"):
            gone = self.pick_crm(t, self.rng.randint(1, 3), "del")
            if gone:
                res = self.crm.delete(MODULES[t], [e.zid for e in gone])
                n = 0
                for e, (ok, r) in zip(gone, res):
                    if ok:
                        e.crm_alive = False
                        e.crm_ops.add("del")
                        e.timeline.append((time.time(), "CRM delete (during the slow scan)"))
                        n += 1
                out.append("CRM delete of %d %s" % (n, MODULES[t]))
        time.sleep(max(0, t_page + 6.2 - time.time()))
        last = [e for e in ents if e.crm_alive and not e.locked_crm and e not in few]
        if last:
            out.append(self.crm_update(self.rng.sample(last, 1), lambda e: [self.rng.choice(fields)], "6 s later"))
        time.sleep(0.3)
        self.crm.emu.config(latency_ms=0)
        return "; ".join(out)

    # --- faults and the rest ----------------------------------------------------

    def op_txid(self):
        cur = int(self.db.scalar("SELECT pg_current_xact_id()::text"))
        boundary = 10 ** len(str(cur))
        burn = boundary - cur - self.rng.randint(10, 40)
        if burn > 1_000_000:  # about 10 s; a soak restarts its databases before that
            return "txid boundary %d too far (txid %d): skipped" % (boundary, cur)
        t0 = time.time()
        burn_pg_txids(self.db.cs, burn)
        out = ["txids burnt from %d to %d (boundary %d) in %.1f s" % (cur, cur + burn, boundary, time.time() - t0)]
        # A burst of small autocommit statements, one txid each, across it.
        n = self.rng.randint(40, 80)
        kinds = {}
        for _ in range(n):
            r = self.op_insert(0, burst=True) if self.rng.random() < 0.6 else self.op_update(0, small=True)
            if r:
                k = r.split(" ")[0]
                kinds[k] = kinds.get(k, 0) + 1
        out.append("then %s statements (inserts of 1-100 rows, updates of 1-5)" % " and ".join(
            "%d %s" % (v, k) for k, v in sorted(kinds.items())))
        out.append("txid now %s" % self.db.scalar("SELECT pg_current_xact_id()::text"))
        return "; ".join(out)

    def run_round(self, n_ops):
        """Runs n_ops operations, logging each."""
        done = Logged(self.log)
        menu = []
        add = lambda w, name, fn: menu.append((w, name, fn))  # noqa: E731
        add(8, "insert", lambda si: self.op_insert(si))
        add(12, "update", lambda si: self.op_update(si))
        if self.on("unmapped"):
            add(3, "update+memo", lambda si: self.op_update(si, unmapped=True))
            add(3, "unmapped", lambda si: self.op_unmapped(si))
        if self.on("caseonly"):
            add(2, "caseonly", lambda si: self.op_caseonly(si))
        if self.on("delete"):
            add(4, "delete", lambda si: self.op_delete(si))
        if self.on("reinsert"):
            add(3, "reinsert", lambda si: self.op_reinsert(si))
        if self.on("keychange"):
            add(3, "keychange", lambda si: self.op_keychange(si))
        erp_menu = menu
        crm_menu = []
        if self.on("crm-edit"):
            crm_menu.append((10, "crm-edit", self.op_crm_edit))
            crm_menu.append((2, "crm-fresh", self.op_crm_fresh))
        if self.on("crm-delete"):
            crm_menu.append((3, "crm-delete", self.op_crm_delete))
        if self.on("crm-create"):
            crm_menu.append((3, "crm-create", self.op_crm_create))
        scan_done = False
        txid_at = self.ctx.txid_at
        for i in range(n_ops):
            self.rng.seed("%d/%d/%d" % (self.ctx.seed, self.ctx.round, i))
            if txid_at is not None and i == txid_at:
                done.append(self.op_txid())
                self.ctx.txid_at = txid_at = None
            # Transactions: open one on session 0, or on session 1 (concurrent).
            for si in list(self.txn):
                if self.rng.random() < 0.4:
                    rb = self.on("rollback") and self.rng.random() < 0.2
                    self.commit(si, rollback=rb)
                    done.append("%s on session %d" % ("ROLLBACK" if rb else "COMMIT", si))
            if self.on("txn") and 0 not in self.txn and self.rng.random() < 0.2:
                self.begin(0)
                done.append("BEGIN on session 0")
            if (self.on("concurrent") and self.db.dialect != "sqlite" and 1 not in self.txn
                    and self.rng.random() < 0.15):
                self.begin(1)
                done.append("BEGIN on session 1")
            r = self.rng.random()
            if self.on("crm-scan") and not scan_done and self.rng.random() < 0.15:
                scan_done = True
                res = self.op_crm_scan()
            elif crm_menu and r < 0.45:
                res = weighted(self.rng, crm_menu)()
            else:
                si = 1 if 1 in self.txn and self.rng.random() < 0.5 else 0
                res = weighted(self.rng, erp_menu)(si)
                if res and si in self.txn:
                    res += " [session %d, open transaction]" % si
            if res:
                done.append(res)
            # SQLite has one writer: a transaction held open blocks the agent.
            hold = 0.3 if self.db.dialect == "sqlite" and self.txn else 1.0
            time.sleep(self.rng.uniform(0, 0.3 * hold))
        for si in list(self.txn):
            rb = self.on("rollback") and self.rng.random() < 0.2
            self.commit(si, rollback=rb)
            done.append("%s on session %d" % ("ROLLBACK" if rb else "COMMIT", si))
        return done


class Logged(list):
    """A list that logs what is appended, as it happens."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def append(self, what):
        self.log("  " + what)
        super().append(what)


def weighted(rng, menu):
    total = sum(w for w, _, _ in menu)
    x = rng.uniform(0, total)
    for w, _, fn in menu:
        x -= w
        if x <= 0:
            return fn
    return menu[-1][2]


# ---------------------------------------------------------------------------
# The oracle.


class Oracle:
    def __init__(self, ctx):
        self.ctx = ctx
        self.model = ctx.model
        self.db = ctx.db

    def read_erp(self):
        out = {}
        for t in ("p", "c"):
            sel = ["id"]
            for f in FIELDS[t]:
                sel.append(self.db.money(f.col) if f.kind == "decimal" else self.db.text(f.col))
            rows = self.db.query("SELECT %s FROM %s ORDER BY id" % (", ".join(sel), TABLES[t]))
            out[t] = {}
            for r in rows:
                rec = {}
                for f, v in zip(FIELDS[t], r[1:]):
                    rec[f.col] = None if v == Db.NULL else v
                out[t][int(r[0])] = rec
        return out

    def norm_erp(self, t, f, v, parents_by_key):
        if v is None:
            return None
        if f.kind == "decimal":
            return Decimal(v).normalize()
        if f.kind == "int":
            return int(v)
        if f.kind == "lookup":
            e = parents_by_key.get(int(v))
            return e.uid if e else "?ERP key %s" % v
        return v

    def norm_crm(self, t, f, v, by_zid):
        if v is None:
            return None
        if f.kind == "decimal":
            return Decimal(str(v)).normalize()
        if f.kind == "int":
            return int(v)
        if f.kind == "lookup":
            zid = v.get("id") if isinstance(v, dict) else v
            e = by_zid.get(zid)
            return e.uid if e else "?Zoho id %s" % zid
        return v

    def norm_model(self, f, v):
        if v is None:
            return None
        if f.kind == "decimal":
            return Decimal(v).normalize()
        return v

    def candidates(self, e, f):
        """The values field f of e may end with, and why."""
        E, C = e.E.get(f.col, []), e.C.get(f.col, [])
        if self.ctx.self_check and C:
            C = C[:-1]  # --self-check: the model "forgets" the last CRM edit
        base = e.base.get(f.col)
        if f.direction == "erp_to_crm":
            return {E[-1].v if E else base}, "ERP -> CRM field"
        if f.direction == "crm_to_erp":
            return {C[-1].v if C else base}, "CRM -> ERP field"
        if not E and not C:
            return {base}, "untouched"
        if not C:
            return {E[-1].v}, "ERP edit only"
        if not E:
            return {C[-1].v}, "CRM edit only"
        ew, cw = E[-1], C[-1]
        e_after = ew.t0 > cw.t1 + ORDER_EPS
        c_after = cw.t0 > ew.t1 + ORDER_EPS
        if f.rule == "erp_wins":
            return ({ew.v}, "erp_wins, ERP edit last") if e_after else ({ew.v, cw.v}, "erp_wins, CRM edit last")
        if f.rule == "crm_wins":
            return ({cw.v}, "crm_wins, CRM edit last") if c_after else ({ew.v, cw.v}, "crm_wins, ERP edit last")
        row = e.row_change or ew
        if ew.t0 > cw.t1 + LATEST_MARGIN:
            return {ew.v}, "latest_wins, ERP %.1f s later" % (ew.t0 - cw.t1)
        if cw.t0 > row.t1 + LATEST_MARGIN and cw.m >= row.t1 + LATEST_MARGIN - 1:
            return {cw.v}, "latest_wins, CRM %.1f s later" % (cw.t0 - row.t1)
        return {ew.v, cw.v}, "latest_wins, edits %.1f s apart: either" % (cw.t0 - ew.t0)

    def check(self, erp, crm, exclude=frozenset(), partial=False):
        """Compares both sides with the model: a list of (kind, text).
        exclude: entity uids not checked; partial: rows and records the
        model does not know are not reported either."""
        problems = []

        def add(kind, fmt, *a):
            problems.append((kind, fmt % a))
        ents = list(self.model.ents.values())
        parents_by_key = {e.key: e for e in ents if e.t == "p" and e.key is not None}
        by_zid = {e.zid: e for e in ents if e.zid is not None}
        # Lookups name parents by Zoho id: those the model does not know yet
        # (created this round) by the record that carries their key.
        for zid, rec in crm["p"].items():
            e = parents_by_key.get(int(rec["ERP_Id"])) if (rec.get("ERP_Id") or "").isdigit() else None
            if e is not None and zid not in by_zid:
                by_zid[zid] = e
        for t in ("p", "c"):
            crm_by_ext = {}
            for zid, rec in crm[t].items():
                if rec.get("ERP_Id") is not None:
                    crm_by_ext.setdefault(rec["ERP_Id"], []).append(zid)
            for ext, zids in crm_by_ext.items():
                if len(zids) > 1:
                    add("duplicate CRM records", "%s: %d CRM records with ERP_Id %s: %s",
                        MODULES[t], len(zids), ext, zids)
            claimed_keys, claimed_zids = set(), set()
            for e in ents:
                if e.t != t:
                    continue
                if e.uid in exclude:
                    claimed_keys.add(e.key)
                    claimed_zids.add(e.zid)
                    continue
                key = e.key
                if e.created == "crm" and e.zid in crm[t] and (crm[t][e.zid].get("ERP_Id") or "").isdigit():
                    key = int(crm[t][e.zid]["ERP_Id"])
                zids = crm_by_ext.get(str(key), []) if key is not None else []
                zid = zids[0] if zids else None
                if not e.expected_alive():
                    if key is not None and key in erp[t]:
                        add("ERP row alive that should be deleted", "%s key %s: ERP row alive, expected deleted (%s)",
                            TABLES[t], key, self.story(e))
                        claimed_keys.add(key)
                    for z in {zid, e.zid} - {None}:
                        if z in crm[t]:
                            add("CRM record alive that should be deleted",
                                "%s %s (ERP key %s): CRM record alive, expected deleted (%s)",
                                MODULES[t], z, key, self.story(e))
                            claimed_zids.add(z)
                    continue
                if key is None:
                    if e.zid in crm[t]:
                        add("CRM-created record without ERP row",
                            "%s %s, created in the CRM: never got an ERP row (no ERP_Id)", MODULES[t], e.zid)
                        claimed_zids.add(e.zid)
                    else:
                        add("CRM-created record gone", "%s %s, created in the CRM: the CRM record is gone",
                            MODULES[t], e.zid)
                    continue
                claimed_keys.add(key)
                claimed_zids.update(zids)
                row = erp[t].get(key)
                rec = crm[t].get(zid) if zid else None
                if row is None:
                    add("ERP row missing", "%s key %s: ERP row missing, expected alive (%s)",
                        TABLES[t], key, self.story(e))
                if rec is None:
                    add("CRM record missing", "%s with ERP_Id %s: no CRM record, expected one (%s)",
                        MODULES[t], key, self.story(e))
                if e.keep_zid and zid and zid != e.keep_zid:
                    add("CRM record re-created (new Zoho id)",
                        "%s key %s: the CRM record was re-created (Zoho id %s -> %s); expected it kept (%s)",
                        TABLES[t], key, e.keep_zid, zid, self.story(e))
                if row is not None and rec is not None:
                    self.check_fields(e, key, row, rec, parents_by_key, by_zid, add)
            if partial:
                continue
            for k in sorted(set(erp[t]) - claimed_keys):
                add("unexpected ERP row", "%s key %s: an ERP row the model does not know (values %s)",
                    TABLES[t], k, erp[t][k])
            for z in sorted(set(crm[t]) - claimed_zids):
                add("unexpected CRM record", "%s %s (ERP_Id %s): a CRM record the model does not know (Name %r)",
                    MODULES[t], z, crm[t][z].get("ERP_Id"), crm[t][z].get("Name"))
        return problems

    def check_fields(self, e, key, row, rec, parents_by_key, by_zid, add):
        """Each field: both sides hold the same value, one the rules allow."""
        t = e.t
        for f in FIELDS[t]:
            ev = self.norm_erp(t, f, row[f.col], parents_by_key)
            cv = self.norm_crm(t, f, rec.get(f.field), by_zid)
            want, why = self.candidates(e, f)
            want = {self.norm_model(f, v) for v in want}
            if ev == cv and ev in want:
                continue
            add("field value", "%s key %s %s/%s: ERP %s, CRM %s, expected %s (%s; %s)\n"
                "      the record this round: %s",
                TABLES[t], key, f.col, f.field, self.show(f, ev), self.show(f, cv),
                " or ".join(sorted(self.show(f, v) for v in want)), why, self.history(e, f), self.story(e))

    def show(self, f, v):
        if f.kind == "lookup" and isinstance(v, int):
            p = self.model.ents.get(v)
            return "parent key %s" % (p.key if p else "?")
        return repr(v) if not isinstance(v, Decimal) else str(v)

    def story(self, e):
        if e.timeline:
            return "; ".join("%s at +%.2f s" % (what, t - self.ctx.round_t0) for t, what in sorted(e.timeline))
        bits = []
        if e.created:
            bits.append("created in the %s this round" % e.created.upper())
        if e.erp_ops - {"ins"}:
            bits.append("ERP: " + ",".join(sorted(e.erp_ops - {"ins"})))
        if e.crm_ops - {"create"}:
            bits.append("CRM: " + ",".join(sorted(e.crm_ops - {"create"})))
        return "; ".join(bits) or "untouched this round"

    def history(self, e, f):
        t_ref = self.ctx.round_t0
        ws = [("ERP", w) for w in e.E.get(f.col, [])] + [("CRM", w) for w in e.C.get(f.col, [])]
        ws.sort(key=lambda x: x[1].t0)
        parts = ["base %s" % self.show(f, self.norm_model(f, e.base.get(f.col)))]
        for side, w in ws:
            parts.append("%s %s at +%.2f..%.2f s" % (side, self.show(f, self.norm_model(f, w.v)),
                                                     w.t0 - t_ref, (w.t1 or w.t0) - t_ref))
        return ", ".join(parts)

    def read_links(self):
        """The agent's links: {(mapping, key): (zoho id, base values or None)}."""
        table = SCHEMA + ("_links" if self.db.dialect == "sqlite" else ".links")
        out = {}
        for mapping, key, zid, base in self.db.query(
                "SELECT mapping, erp_key, %s, %s FROM %s" % (self.db.text("zoho_id"), self.db.text("base_values"),
                                                             table)):
            k = json.loads(key)
            while isinstance(k, list) and len(k) == 1:
                k = k[0]
            out[(mapping, int(k) if str(k).isdigit() else key)] = (
                None if zid == Db.NULL else zid, None if base == Db.NULL else json.loads(base))
        return out

    def check_links(self, crm):
        """Once both sides agree, every link names its record and its merge
        base holds what both sides hold (a stale base turns a later one-sided
        edit into a conflict that the rule may settle the wrong way)."""
        problems = []
        links = self.read_links()
        names = {MAPPING_NAMES[t]: t for t in ("p", "c")}
        live = {}
        for t in ("p", "c"):
            for zid, rec in crm[t].items():
                if (rec.get("ERP_Id") or "").isdigit():
                    live[(MAPPING_NAMES[t], int(rec["ERP_Id"]))] = (zid, rec)
        for lk, (zid, base) in sorted(links.items(), key=str):
            t = names.get(lk[0])
            if t is None:
                continue
            if lk not in live:
                problems.append(("stale link", "link %s key %s (Zoho id %s): no such record and row" % (
                    lk[0], lk[1], zid)))
                continue
            rzid, rec = live[lk]
            if zid != rzid:
                problems.append(("link names another record", "link %s key %s: Zoho id %s, the record is %s" % (
                    lk[0], lk[1], zid, rzid)))
            if base is None:
                problems.append(("link without a merge base", "link %s key %s has no base values" % lk))
                continue
            for f in FIELDS[t]:
                if f.field not in base:
                    problems.append(("merge base differs", "link %s key %s: no base for %s" % (lk[0], lk[1], f.field)))
                    continue
                b = json.loads(base[f.field]) if isinstance(base[f.field], str) else base[f.field]
                c = rec.get(f.field)
                if f.kind == "lookup":
                    b = b.get("id") if isinstance(b, dict) else b
                    c = c.get("id") if isinstance(c, dict) else c
                elif f.kind in ("decimal", "int") and b is not None and c is not None:
                    b, c = Decimal(str(b)).normalize(), Decimal(str(c)).normalize()
                if b != c:
                    problems.append(("merge base differs", "link %s key %s %s: base %r, both sides %r" % (
                        lk[0], lk[1], f.field, b, c)))
        for lk in sorted(set(live) - set(links), key=str):
            problems.append(("record without a link", "%s key %s (Zoho id %s) has no link" % (lk[0], lk[1], live[lk][0])))
        return problems

    def adopt(self, erp, crm):
        """After a passing check: the observed state is the next round's base."""
        model = self.model
        for e in list(model.ents.values()):
            if not e.expected_alive():
                model.ents.pop(e.uid)
                continue
        parents_by_key = {e.key: e for e in model.ents.values() if e.t == "p" and e.key is not None}
        by_zid = {e.zid: e for e in model.ents.values() if e.zid is not None}
        for e in model.ents.values():
            t = e.t
            if e.created == "crm":
                e.key = int(crm[t][e.zid]["ERP_Id"])
                if e.t == "p":
                    parents_by_key[e.key] = e
        for e in model.ents.values():
            t = e.t
            zids = [z for z, r in crm[t].items() if r.get("ERP_Id") == str(e.key)]
            e.zid = zids[0]
            by_zid[e.zid] = e
        for e in model.ents.values():
            t = e.t
            row = erp[t][e.key]
            e.vals = {f.col: self.norm_erp(t, f, row[f.col], parents_by_key) for f in FIELDS[t]}
            e.erp_alive = e.crm_alive = True
            e.start_round()


# ---------------------------------------------------------------------------
# One seed.


class Ctx:
    pass


def render_problems(problems, per_kind=6):
    """The problems grouped by kind, a few of each."""
    kinds = {}
    for kind, text in problems:
        kinds.setdefault(kind, []).append(text)
    out = []
    for kind, texts in kinds.items():
        out.append("%d x %s:" % (len(texts), kind))
        out += ["  " + t for t in texts[:per_kind]]
        if len(texts) > per_kind:
            out.append("  ... and %d more" % (len(texts) - per_kind))
    return "\n".join(out)


PUSH_KEYS = ["created", "updated", "deleted", "parked", "held for a person", "412s reconciled"]
PULL_KEYS = ["written to the ERP", "sent back to Zoho", "ERP rows deleted", "parked", "ERP rows created"]


def parse_run_output(out):
    """The counters of `run --once` that mean work: {"push created": n, ...}."""
    counts = {}
    for line in out.splitlines():
        if line.startswith("pushed:"):
            m = re.match(r"pushed: (\d+) change", line)
            counts["push changes"] = int(m.group(1)) if m else -1
            for k in PUSH_KEYS:
                m = re.search(r"(?:^|[;,] )%s (\d+)" % re.escape(k), line)
                counts["push " + k] = int(m.group(1)) if m else -1
        elif line.startswith("pulled:"):
            for k in PULL_KEYS:
                m = re.search(r"(?:^|[;,] )%s (\d+)" % re.escape(k), line)
                counts["pull " + k] = int(m.group(1)) if m else -1
    return counts


def busy(counts):
    return any(v != 0 for v in counts.values())


class SeedRun:
    def __init__(self, args, seed, db, work, log):
        self.args, self.seed, self.db, self.work, self.log = args, seed, db, work, log
        self.shapes = args.shapes_set
        if db.dialect == "sqlite":
            self.shapes = self.shapes - {"concurrent"}
        if db.dialect != "postgresql":
            self.shapes = self.shapes - {"txid"}
        if db.dialect != "mysql":
            self.shapes = self.shapes - {"autoinc"}
        self.rng = random.Random(seed)
        self.fault_rng = random.Random(seed * 7919 + 1)

    def replay(self, rounds):
        cmd = [os.path.relpath(os.path.abspath(__file__), os.getcwd()), "--db", self.db.db,
               "--seed", str(self.seed), "--rounds", str(rounds)]
        if self.args.scale != "small":
            cmd += ["--scale", self.args.scale]
        off = sorted(set(SHAPES) - self.args.shapes_set)
        if off and len(off) > len(self.args.shapes_set):
            cmd += ["--only", ",".join(sorted(self.args.shapes_set))]
        elif off:
            cmd += ["--without", ",".join(off)]
        if self.args.self_check:
            cmd += ["--self-check"]
        if self.args.zcrmsync_given:
            cmd += ["--zcrmsync", self.args.zcrmsync]
        if self.args.emulator_given:
            cmd += ["--emulator", self.args.emulator]
        return " ".join(shlex.quote(c) for c in cmd)

    def run(self):
        args, db = self.args, self.db
        emu = Emulator(args.emulator, self.work, metadata=os.path.join(HERE, "data", "fuzz_metadata.json"),
                       extra=["--seed", str(self.seed)])
        sessions = []
        runner = None
        try:
            ctx = Ctx()
            ctx.rng, ctx.db, ctx.log = self.rng, db, self.log
            ctx.seed, ctx.round = self.seed, 0
            ctx.model = Model()
            ctx.values = Values(self.rng, self.shapes)
            ctx.shapes = self.shapes
            ctx.crm = Crm(emu, self.log)
            ctx.round_t0 = time.time()
            ctx.txid_at = None
            ctx.self_check = args.self_check
            self.ctx = ctx
            batch = self.pick_batch()
            step = self.rng.choice([2, 3]) if "autoinc" in self.shapes else None
            self.autoinc_step = step
            agent = self.make_agent(emu, batch)
            agent("uninstall", expect=None)
            create_tables(db)
            sessions = [open_session(db.db, db.cs)]
            if "concurrent" in self.shapes:
                sessions.append(open_session(db.db, db.cs))
            ctx.sessions = sessions
            if step:
                # As under Galera, every session of the server steps by the
                # same increment: the ERP's sessions, and the agent's through
                # its connection string (the README's recipe).
                for s in sessions:
                    check(not s.execute("SET SESSION auto_increment_increment = %d" % step)[1], "autoinc")
                self.log("ERP and agent sessions: auto_increment_increment %d" % step)
            wl = Workload(ctx)
            oracle = Oracle(ctx)
            self.setup_rows(wl, agent)
            runner = AgentRunner(agent, db, self.work, self.log, args.agent_log_level)
            ok, why = self.barrier(0, agent, runner, oracle, emu, wl, initial=True)
            if not ok:
                return False, 0, why
            rounds = args.rounds
            txid_round = self.rng.randint(1, max(1, rounds)) if "txid" in self.shapes else None
            for rnd in range(1, rounds + 1):
                # Each round, and each operation in it, draws from its own
                # seed: what the agent did before (which the model adopts)
                # does not shift the choices that follow.
                self.rng.seed("%d/%d" % (self.seed, rnd))
                self.fault_rng.seed("%d/%d/faults" % (self.seed, rnd))
                ctx.round = rnd
                if "batch" in self.shapes:
                    batch = self.pick_batch()
                    agent = self.make_agent(emu, batch)
                    runner.agent = agent
                ctx.round_t0 = time.time()
                for e in ctx.model.ents.values():
                    e.start_round()
                faults = self.start_faults(emu)
                n_ops = self.rng.randint(8, 16) if args.scale == "small" else self.rng.randint(15, 40)
                ctx.txid_at = self.rng.randrange(0, 4) if rnd == txid_round else None
                kill_times = []
                if "kill" in self.shapes:
                    kill_times = sorted(self.fault_rng.uniform(0.2, 0.25 * n_ops)
                                        for _ in range(self.fault_rng.randint(1, 3)))
                self.log("round %d: push_batch_size %d, faults %s, %d kill(s) planned" % (
                    rnd, batch, faults, len(kill_times)))
                runner.start(kill_times, self.fault_rng)
                try:
                    wl.run_round(n_ops)
                finally:
                    runner.stop()
                if runner.self_exits:
                    for rc, errs in runner.self_exits:
                        self.log("  NOTE: `run` exited %s on its own: %s" % (rc, " / ".join(errs)[-600:]))
                    runner.self_exits = []
                self.log("  %d kill(s) so far" % runner.kills)
                ok, why = self.barrier(rnd, agent, runner, oracle, emu, wl)
                if not ok:
                    return False, rnd, why
            agent("uninstall")
            return True, rounds, ""
        finally:
            if runner:
                runner.stop()
            for s in sessions:
                s.close()
            emu.stop()

    def pick_batch(self):
        if "batch" not in self.shapes:
            return 4000
        return self.rng.choice([1, 2, 3, 7, 50, 500, 4000])

    def make_agent(self, emu, batch):
        db = self.db
        autoinc_step = getattr(self, "autoinc_step", None)
        if autoinc_step:
            db = copy.copy(db)
            db.cs = db.cs.rstrip(";") + (";INITSTMT=SET SESSION auto_increment_increment=%d;"
                                         % autoinc_step)
        return Agent(self.args.zcrmsync, self.work, db, emu, SCHEMA, mappings_config(),
                     sync={"interval_seconds": 1, "clock_skew_tolerance_seconds": CLOCK_SKEW_TOLERANCE,
                           "push_batch_size": batch},
                     max_concurrency=4, agent={"lease_seconds": 3})

    def setup_rows(self, wl, agent):
        """Parents (a fifth of them anchors the children look up) and
        children; some before `install` (the initial load), the rest after."""
        m = self.ctx.model
        n_p, n_c = (260, 120) if self.args.scale == "small" else (600, 400)
        if "crm-scan" not in self.shapes:
            n_p = n_p // 2
        if "lookup" not in self.shapes:
            n_c = 0
        parents = []
        for i in range(n_p):
            e = m.new("p")
            e.key = m.fresh_key("p")
            e.anchor = i < max(10, n_p // 5)
            e.vals = wl.initial_values("p", "erp")
            parents.append(e)
        children = []
        for i in range(n_c):
            e = m.new("c")
            e.key = m.fresh_key("c")
            e.vals = wl.initial_values("c", "erp")
            children.append(e)
        for e in parents + children:
            e.start_round()
            e.created = "erp"
            e.erp_ops.add("ins")
        if "initial-load" in self.shapes:
            before = [e for e in parents if e.key % 2 == 0] + [e for e in children if e.key % 3 == 0]
        else:
            before = []
        after = [e for e in parents + children if e not in before]
        s = self.ctx.sessions[0]

        def insert(ents):
            for t in ("p", "c"):
                es = [e for e in ents if e.t == t]
                for i in range(0, len(es), 200):
                    rows, err = s.execute(wl.insert_sql(t, es[i:i + 200]))
                    check(not err, "setup insert: %s" % err)
        insert(before)
        agent("install")
        insert(after)

    def start_faults(self, emu):
        r = self.fault_rng
        cfg = {}
        if "f429" in self.shapes and r.random() < 0.6:
            cfg["fault_429"] = round(r.uniform(0.02, 0.25), 3)
        if "f500" in self.shapes and r.random() < 0.5:
            cfg["fault_500"] = round(r.uniform(0.01, 0.08), 3)
        if "fdrop" in self.shapes and r.random() < 0.5:
            cfg["fault_drop"] = round(r.uniform(0.01, 0.08), 3)
        self.locked = []
        if "locked" in self.shapes and r.random() < 0.5:
            cands = sorted((e for e in self.ctx.model.ents.values() if e.zid), key=lambda e: e.uid)
            self.locked = r.sample(cands, min(len(cands), r.randint(1, 5)))
            for e in self.locked:
                e.locked_crm = True
            cfg["locked_ids"] = [e.zid for e in self.locked]
        if cfg:
            emu.config(**cfg)
        shown = dict(cfg)
        if self.locked:
            shown["locked_ids"] = "%d record(s)" % len(self.locked)
        return shown or "none"

    def converge(self, agent, max_cycles=8):
        last = ""
        for i in range(max_cycles):
            rc, out = agent("run", "--once", expect=None, timeout=300)
            last = out
            with open(os.path.join(self.work, "barrier.log"), "a") as f:
                f.write("=== run --once at %f: exit %d\n%s" % (time.time(), rc, out))
            counts = parse_run_output(out)
            if rc == 0 and counts and not busy(counts):
                # A quiet cycle with changes still waiting (a MariaDB gap the
                # reader passes a second after it first saw it) goes round again.
                _, st = agent("status", "--json", expect=None)
                try:
                    status = json.loads(st.strip().splitlines()[-1])
                    waiting = sum(m.get("backlog", 0) for m in status["mappings"].values())
                except (ValueError, KeyError, IndexError):
                    waiting = 0
                if not waiting:
                    return True, ""
                time.sleep(0.6)
                continue
            if rc not in (0, 3):
                tail = out.strip().splitlines()[-1][:300] if out.strip() else ""
                self.log("  run --once exited %d: %s" % (rc, tail))
        return False, last

    def barrier(self, rnd, agent, runner, oracle, emu, wl, initial=False):
        ctx = self.ctx
        emu.config(fault_429=0, fault_500=0, fault_drop=0, latency_ms=0)
        problems = []
        if not initial and self.locked:
            # Some cycles with the records still locked: the rest must land.
            # (A MariaDB gap of a rolled-back transaction is passed once it
            # has been seen for a second: each cycle comes a second later.)
            for _ in range(2):
                if ctx.db.db == "mariadb":
                    time.sleep(1.1)
                rc, out = agent("run", "--once", expect=None, timeout=300)
                with open(os.path.join(self.work, "barrier.log"), "a") as f:
                    f.write("=== run --once (records locked) at %f: exit %d\n%s" % (time.time(), rc, out))
            erp, crm = oracle.read_erp(), ctx.crm.state()
            exclude = {e.uid for e in self.locked}
            problems = oracle.check(erp, crm, exclude=exclude, partial=True)
            if problems:
                return False, ("with %d record(s) locked (RECORD_LOCKED), after 2 cycles the other records "
                               "are not in sync:\n" % len(self.locked)) + render_problems(problems)
            emu.config(locked_ids=[])
            for e in self.locked:
                e.locked_crm = False
            _, el = agent("errors", "list", expect=None)
            if "RECORD_LOCKED" in el or "locked" in el.lower():
                agent("errors", "retry", "--all", expect=None)
        if self.args.plan_log:
            rc, out = agent("plan", "--all", expect=None, timeout=300)
            with open(os.path.join(self.work, "barrier.log"), "a") as f:
                f.write("=== round %d: plan --all (exit %d)\n%s" % (rnd, rc, out))
        ok, last = self.converge(agent)
        erp, crm = oracle.read_erp(), ctx.crm.state()
        problems = oracle.check(erp, crm)
        if not problems and not self.args.no_link_check:
            problems = oracle.check_links(crm)
        if not ok:
            tail = [l for l in last.strip().splitlines() if l.strip()][-4:]
            problems.insert(0, ("no convergence", "`run --once` still did work (or failed) after 8 cycles; "
                                "the last one said:\n    " + "\n    ".join(l[:300] for l in tail)))
        _, st = agent("status", "--json", expect=None)
        try:
            status = json.loads(st.strip().splitlines()[-1])
            for name, m in status["mappings"].items():
                for k in ("backlog", "parked", "conflicts_held"):
                    if m.get(k):
                        problems.append(('status', "status: mapping %s has %s %s" % (name, k, m[k])))
        except (ValueError, KeyError, IndexError):
            problems.append(('status', "status --json unreadable: " + st[-500:]))
        _, el = agent("errors", "list", expect=None)
        if "no parked records" not in el:
            lines = [l for l in el.splitlines() if l.strip()]
            problems += [('parked records (errors list)', l[:400]) for l in lines]
        if problems:
            return False, render_problems(problems)
        oracle.adopt(erp, crm)
        n = {t: len(ctx.model.live(t)) for t in ("p", "c")}
        self.log("round %d: in sync: %d parent rows, %d child rows" % (rnd, n["p"], n["c"]))
        return True, ""


# ---------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("positional", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--db", choices=["postgresql", "mariadb", "sqlite"])
    p.add_argument("--seed", type=int)
    p.add_argument("--seeds", help="comma-separated seeds, run one after another")
    p.add_argument("--random-seeds", type=int, default=0, help="run N fresh random seeds")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--scale", choices=["small", "large"], default="small")
    p.add_argument("--without", default="", help="shapes to leave out (comma-separated)")
    p.add_argument("--only", default="", help="only these shapes (comma-separated)")
    p.add_argument("--zcrmsync")
    p.add_argument("--emulator")
    p.add_argument("--keep", action="store_true", help="keep the work folder (agent.log, emulator.err)")
    p.add_argument("--agent-log-level", default="info", help="the log level of `run` in agent.log")
    p.add_argument("--plan-log", action="store_true",
                   help="at each barrier, save `plan --all` (what the next cycle will do, per record) in barrier.log")
    p.add_argument("--list-shapes", action="store_true")
    p.add_argument("--no-link-check", action="store_true",
                   help="skip the check of the agent's links table (each record linked once, its merge base "
                        "equal to both sides once they agree)")
    p.add_argument("--shrink", action="store_true",
                   help="after a failure, leave shapes out one at a time while it still fails the same way")
    p.add_argument("--self-check", action="store_true",
                   help="check the checker: its model forgets each field's last CRM edit, so a seed "
                        "with CRM edits must FAIL")
    a = p.parse_args(argv)
    if a.list_shapes:
        for k, v in SHAPES.items():
            print("%-11s %s" % (k, v))
        sys.exit(0)
    # ctest's form: ZCRMSYNC EMULATOR DB [options]
    if len(a.positional) == 3:
        a.zcrmsync = a.zcrmsync or a.positional[0]
        a.emulator = a.emulator or a.positional[1]
        a.db = a.db or a.positional[2]
    elif a.positional:
        p.error("positional arguments: ZCRMSYNC EMULATOR DB")
    if not a.db:
        p.error("--db is required")
    a.zcrmsync_given = a.zcrmsync is not None
    a.emulator_given = a.emulator is not None
    a.zcrmsync = a.zcrmsync or os.path.join(ROOT, "build", "ci", "agent", "zcrmsync")
    a.emulator = a.emulator or os.path.join(ROOT, "build", "ci", "emulator", "zoho-emulator")
    names = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    for n in names(a.without) + names(a.only):
        if n not in SHAPES:
            p.error("unknown shape %r; --list-shapes names them" % n)
    shapes = set(names(a.only)) if a.only else set(SHAPES)
    a.shapes_set = shapes - set(names(a.without))
    return a


def run_seed(args, db, seed, echo=True):
    """One seed; returns (ok, round, why, replay command, work folder)."""
    work = tempfile.mkdtemp(prefix="zcrmsync-fuzz-")

    def log(*a):
        s = " ".join(str(x) for x in a)
        if echo:
            print(s, flush=True)
        with open(os.path.join(work, "checker.log"), "a") as f:
            f.write(s + "\n")
    run = SeedRun(args, seed, db, work, log)
    log("seed %d on %s: shapes %s" % (seed, args.db, ",".join(sorted(run.shapes))))
    t0 = time.monotonic()
    try:
        ok, rnd, why = run.run()
    except Failure as e:
        ok, rnd, why = False, -1, "the test itself failed: %s" % e
    except Exception:  # noqa: BLE001 - a bug of the test is a failure too, with its seed
        ok, rnd, why = False, -1, "the test itself crashed:\n" + traceback.format_exc()
    took = time.monotonic() - t0
    replay = run.replay(max(rnd, 1))
    if ok:
        log("PASS seed %d on %s (%d rounds, %.1f s)" % (seed, args.db, rnd, took))
        if not args.keep:
            subprocess.run(["rm", "-rf", work])
    else:
        log("FAIL seed %d on %s, round %d (%.1f s):\n%s" % (seed, args.db, rnd, took, why))
        log("replay: " + replay)
        log("work folder (checker.log, agent.log, barrier.log, emulator.err): %s" % work)
    return ok, rnd, why, replay, work


def problem_kinds(why):
    """What a failure is about, in the order reported: its problem kinds, a
    field value problem with the rule case it broke ("field value: ERP edit
    only")."""
    kinds = []
    for line in why.splitlines():
        m = re.match(r"^\d+ x (.+):$", line)
        if m and m.group(1) != "field value":
            kinds.append(m.group(1))
        m = re.match(r"^  \S+ key \S+ \S+: ERP .*?, expected .*? \(([^;]+);", line)
        if m:
            kinds.append("field value: " + re.sub(r"-?[\d.]+ s", "N s", m.group(1)))
    return list(dict.fromkeys(kinds))


def shrink(args, db, seed, rnd, why):
    """Leaves shapes out one at a time while the seed still fails the same
    way: in the same round, with the failure's first problem kind among its
    own. Best effort: the interleaving with the agent differs from run to
    run, and another defect may take over."""
    kinds = problem_kinds(why)
    if not kinds or rnd < 1:
        print("shrink: nothing to shrink on (the failure names no problem kind)")
        return None
    primary = kinds[0]
    cur = copy.copy(args)
    cur.rounds = rnd
    print("shrink: seed %d, round %d, looking for: %s" % (seed, rnd, primary), flush=True)
    best = None
    for shape in sorted(cur.shapes_set):
        trial = copy.copy(cur)
        trial.shapes_set = cur.shapes_set - {shape}
        ok, r2, why2, replay, work = run_seed(trial, db, seed, echo=False)
        same = not ok and r2 == rnd and primary in problem_kinds(why2)
        print("shrink: without %-12s %s" % (shape, "still fails" if same else
                                            "passes, or fails otherwise: kept"), flush=True)
        if same:
            cur = trial
            best = replay
        if not args.keep:
            subprocess.run(["rm", "-rf", work])
    if best:
        print("shrink: minimal replay: " + best)
    return best


def main():
    args = parse_args(sys.argv[1:])
    db = Db(args.db)
    if not db.cs:
        print("SKIP: ZCRMSYNC_TEST_CONNSTR_%s is not set" % args.db.upper())
        sys.exit(SKIP)
    for b in (args.zcrmsync, args.emulator):
        if not os.access(b, os.X_OK):
            print("not built: %s" % b)
            sys.exit(2)
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    elif args.seed is not None:
        seeds = [args.seed]
    else:
        sysrng = random.SystemRandom()
        seeds = [sysrng.randrange(10 ** 6) for _ in range(max(1, args.random_seeds))]
    failed = []
    t_all = time.monotonic()
    for seed in seeds:
        ok, rnd, why, replay, _ = run_seed(args, db, seed)
        if not ok:
            if args.shrink:
                replay = shrink(args, db, seed, rnd, why) or replay
            failed.append((seed, rnd, replay))
    print("%d seed(s) on %s in %.0f s: %d passed, %d failed" % (
        len(seeds), args.db, time.monotonic() - t_all, len(seeds) - len(failed), len(failed)))
    for seed, rnd, cmd in failed:
        print("  FAILED seed %d (round %d): %s" % (seed, rnd, cmd))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
