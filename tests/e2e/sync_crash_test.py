#!/usr/bin/env python3
"""e2e (issue #5): crash safety of `zcrmsync run`. Usage:
  sync_crash_test.py ZCRMSYNC EMULATOR postgresql|mariadb|sqlite [--kills N] [--seed S]

A 2,000-row sync (1,000 rows inserted before `install`, so the initial load
is crashed too, and 1,000 after) while the agent is killed with SIGKILL at
N random points (default 20), restarted each time. Between kills the test
edits the ERP (updates, deletes, inserts) and the CRM (a field the ERP side
never edits, so there is one right answer). Then a final `run --once` until
idle, and the checks:
  - no change lost: the ERP holds exactly what the test wrote plus every
    CRM edit, and every ERP row has exactly one CRM record with the same
    values (counted by external id: no duplicates, no orphans);
  - no CRM change applied twice: the test's own audit trigger saw each CRM
    edit written into the ERP exactly once;
  - nothing parked, no conflict.
The seed is printed, so a failure can be replayed with --seed.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_e2e_lib import Agent, Emulator, check, log, main_wrapper, sql_str  # noqa: E402

TABLE = "e2e_c_bulk"
AUDIT = "e2e_c_audit"
SCHEMA = "zcrmsync_e2ec"
HERE = os.path.dirname(os.path.abspath(__file__))


def parse_options():
    p = argparse.ArgumentParser()
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-delay", type=float, default=1.0, help="latest kill, seconds after the start")
    opts, _ = p.parse_known_args(sys.argv[4:])
    return opts


def amount(rng):
    return Decimal(rng.randrange(0, 10**9)) / 100


def test(binary, emulator_bin, db, work):
    opts = parse_options()
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(10**6)
    log("seed %d, %d kills, delays up to %.1f s (replay: --seed %d)" % (seed, opts.kills, opts.max_delay, seed))
    rng = random.Random(seed)
    # A little latency and two calls at a time stretch the sync over ~1-2 s,
    # so the kills land inside it.
    emu = Emulator(emulator_bin, work, metadata=os.path.join(HERE, "data", "sync_metadata.json"),
                   latency_ms=40)
    try:
        scenario(binary, emu, db, work, opts, rng)
    finally:
        emu.stop()


def scenario(binary, emu, db, work, opts, rng):
    mappings = [{"name": "bulk", "table": TABLE, "module": "Bulk", "key_columns": ["id"],
                 "external_id_field": "ERP_Id", "deletes": "propagate",
                 "fields": [{"column": "name", "field": "Name"}, {"column": "amount", "field": "Amount"},
                            {"column": "note", "field": "Note"}]}]
    # A killed agent's lease blocks its successor until it expires: 3 s, the least.
    agent = Agent(binary, work, db, emu, SCHEMA, mappings, max_concurrency=2,
                  agent={"lease_seconds": 3})
    agent("uninstall", expect=None)
    db.drop_audit(TABLE, AUDIT)
    db.drop_table(TABLE)
    db.run("CREATE TABLE %s (id integer PRIMARY KEY, name varchar(100), amount decimal(12,2), "
           "note varchar(100))" % TABLE)
    db.audit(TABLE, AUDIT, "note")

    # The test's model of what the ERP must hold in the end.
    model = {n: ["row %d" % n, amount(rng), "note %d" % n] for n in range(1, 2001)}

    def rendered(ids):
        return ["%d, %s, %s, %s" % (n, sql_str(model[n][0]), model[n][1], sql_str(model[n][2])) for n in ids]

    db.insert_rows(TABLE, ["id", "name", "amount", "note"], rendered(range(1, 1001)))
    agent("install")
    db.insert_rows(TABLE, ["id", "name", "amount", "note"], rendered(range(1001, 2001)))

    links = {"sqlite": SCHEMA + "_links"}.get(db.dialect, SCHEMA + ".links")
    age_lease = {
        "postgresql": "UPDATE %s.state SET updated_at = updated_at - INTERVAL '1 hour' WHERE name = 'lease'",
        "mysql": "UPDATE %s.state SET updated_at = updated_at - INTERVAL 1 HOUR WHERE name = 'lease'",
        "sqlite": "UPDATE %s_state SET updated_at = strftime('%%Y-%%m-%%d %%H:%%M:%%f', updated_at, '-1 hour') "
                  "WHERE name = 'lease'",
    }[db.dialect] % SCHEMA
    max_delay = opts.max_delay
    progress = []        # links committed after each kill
    crm_edits = {}       # id -> the Note value the CRM set
    own_updates = {}     # id -> UPDATEs the test made (name, amount)
    next_id = 5001
    killed = finished = 0
    for k in range(1, opts.kills + 1):
        # Most kills count from the moment the agent holds the lease (it
        # then waits no more and syncs); every fourth from the process start,
        # so startup and the wait for a dead holder's lease are hit too.
        proc, working, lines = agent.start_watched("run", "--once")
        if k % 4 != 1:
            working.wait(10)
        delay = rng.uniform(0.0, max_delay)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
            # The successor waits for the dead holder's lease (lease_seconds)
            # after every fifth kill; after the others the lease is aged, as
            # if the restart came later, to keep the test short.
            if k % 5 != 0:
                db.run(age_lease)
        else:
            check(proc.returncode == 0, "run --once exited %d:\n%s" % (proc.returncode, "".join(lines)[-3000:]))
            finished += 1
        # A slow machine or database: when two kills in a row committed
        # nothing, the kills come later, so the sync gets through.
        # Once the first 2,000 rows are through, a run has little to do and
        # ends in well under a second.
        progress.append(int(db.scalar("SELECT count(*) FROM %s WHERE zoho_id IS NOT NULL" % links)))
        if progress[-1] >= 2000:
            max_delay = min(opts.max_delay, 0.6)
        elif len(progress) >= 3 and progress[-1] == progress[-3] and max_delay < 8:
            max_delay *= 1.5
        # ERP edits: updates (name, amount), a delete, an insert.
        stmts = []
        for n in rng.sample(sorted(model), 5):
            own_updates[n] = own_updates.get(n, 0) + 1
            model[n][0] = "erp %d/%d" % (k, n)
            model[n][1] = amount(rng)
            stmts.append("UPDATE %s SET name = %s, amount = %s WHERE id = %d"
                         % (TABLE, sql_str(model[n][0]), model[n][1], n))
        # Any row, also one that reached Zoho in a killed run before its
        # link had a Zoho id: the push finds that record by external id.
        victims = [n for n in sorted(model) if n not in crm_edits]
        if victims:
            victim = rng.choice(victims)
            del model[victim]
            stmts.append("DELETE FROM %s WHERE id = %d" % (TABLE, victim))
        model[next_id] = ["new %d" % next_id, amount(rng), "note %d" % next_id]
        stmts.append("INSERT INTO %s (id, name, amount, note) VALUES (%s)" % (TABLE, rendered([next_id])[0]))
        next_id += 1
        db.run(stmts)
        # A CRM edit of a record in Zoho, on the field the ERP never edits;
        # also of one whose create a kill cut off before its link had a Zoho
        # id (the pull adopts the link written ahead and merges against it).
        linked = {}
        for rid, f in emu.records("Bulk").items():
            ext = f.get("ERP_Id")
            if ext and int(ext) in model and int(ext) not in crm_edits:
                linked[int(ext)] = rid
        if linked and k % 2 == 0:
            n = rng.choice(sorted(linked))
            value = "crm %d/%d" % (k, n)
            emu.update("Bulk", linked[n], {"Note": value})
            crm_edits[n] = value
            model[n][2] = value
    log("%d runs killed, %d finished before their kill; %d CRM edits; links after each kill: %s; "
        "last max delay %.1f s" % (killed, finished, len(crm_edits), progress, max_delay))

    agent.converge(max_cycles=8)

    # Both sides hold the model.
    rows = db.query("SELECT id, %s, %s, %s FROM %s ORDER BY id"
                    % (db.text("name"), db.money("amount"), db.text("note"), TABLE))
    erp = {int(r[0]): [r[1], Decimal(r[2]), r[3]] for r in rows}
    lost = [n for n in model if erp.get(n) != model[n]][:5]
    check(not lost, "ERP rows differ from what was written: %s" %
          ["%d: ERP %r expected %r" % (n, erp.get(n), model[n]) for n in lost])
    check(set(erp) == set(model), "ERP has rows the test deleted: %s" % sorted(set(erp) - set(model))[:5])
    by_ext = emu.by_external_id("Bulk", "ERP_Id")
    dups = {k: len(v) for k, v in by_ext.items() if len(v) > 1}
    check(not dups, "duplicate CRM records by ERP_Id: %s" % dict(list(dups.items())[:5]))
    crm = {int(k): [v[0].get("Name"), Decimal(v[0].get("Amount")), v[0].get("Note")] for k, v in by_ext.items()}
    check(set(crm) == set(model), "CRM records without ERP row: %s; ERP rows without CRM record: %s"
          % (sorted(set(crm) - set(model))[:5], sorted(set(model) - set(crm))[:5]))
    wrong = ["%d: CRM %r ERP %r" % (n, crm[n], model[n]) for n in model if crm[n] != model[n]][:5]
    check(not wrong, "CRM records differ from the ERP: %s" % wrong)

    # Each CRM edit reached the ERP exactly once: one UPDATE turned the note
    # into it (the test's own updates of name and amount keep the note).
    audit = db.query("SELECT val, count(*) FROM %s WHERE op = 'U' AND val LIKE 'crm %%' "
                     "AND (old IS NULL OR old <> val) GROUP BY val" % AUDIT)
    applied = {v: int(c) for v, c in audit}
    twice = {v: c for v, c in applied.items() if c != 1}
    check(not twice, "CRM changes applied more than once: %s" % twice)
    check(set(applied) == set(crm_edits.values()),
          "CRM changes not applied: %s" % sorted(set(crm_edits.values()) - set(applied))[:5])
    # ... and was not written again: an UPDATE that kept the note is the
    # test's own (name, amount), never a repeated write-back.
    same = {int(i): int(c) for i, c in db.query(
        "SELECT id, count(*) FROM %s WHERE op = 'U' AND old = val GROUP BY id" % AUDIT)}
    rewrites = {n: c - own_updates.get(n, 0) for n, c in same.items() if c != own_updates.get(n, 0)}
    check(not rewrites, "rows written again without a change (id: extra writes): %s" % dict(list(rewrites.items())[:5]))

    _, el = agent("errors", "list")
    check("no parked records" in el, "parked records:\n" + el)
    _, cl = agent("conflicts", "list")
    check("no conflicts waiting" in cl, "conflicts:\n" + cl)
    s = emu.stats()
    log("%d rows in sync, %d upsert calls, %d calls in all" %
        (len(model), sum(v for k, v in s["calls"].items() if k.endswith("/upsert")),
         sum(v for k, v in s["calls"].items() if "/crm/" in k)))

    agent("uninstall")
    db.drop_audit(TABLE, AUDIT)
    db.drop_table(TABLE)


if __name__ == "__main__":
    main_wrapper(test)
