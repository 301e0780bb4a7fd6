#!/usr/bin/env python3
"""engine_bench: the sync engine end to end (issue #5), on PostgreSQL.

  engine_bench.py --zcrmsync BIN --emulator BIN [--rows N[,N...]] [--trickle-seconds S]

Needs ZCRMSYNC_TEST_CONNSTR_POSTGRESQL (bench/run.sh starts the throwaway
databases). For each N (default 100000):
  1. a table with the SQL kit installed and its (empty) initial load done by
     one `run --once`; then N rows inserted (one INSERT ... SELECT, or
     statements of --rows-per-statement rows: N captured changes) and the
     table analyzed, as autovacuum would soon do on a live table;
  2. the zoho-emulator binary at 100 ms latency per call, 10 calls in flight;
     zcrmsync with zoho.max_concurrency 10;
  3. `zcrmsync run --once`, timed, its CPU time and peak RSS from wait4();
     the API calls from the emulator's stats; every record checked there.
The ideal is C x 100 / L = 10 x 100 / 0.1 s = 10,000 records/s. Side by side
(same emulator, same latency), a minimal client (threads doing upserts of 100
records, nothing else) measures what the emulator and loopback HTTP allow.
Then the trickle: `zcrmsync run` (sync.interval_seconds 1) while single rows
are inserted one by one at random gaps; the latency from the ERP commit
(clock_timestamp() stored in the row) to the record being visible in the
emulator (polled every ~20 ms); p50 and p99.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from sync_e2e_lib import Agent, Db, Emulator, check, log  # noqa: E402

METADATA = os.path.join(HERE, "..", "tests", "e2e", "data", "sync_metadata.json")
LATENCY_MS = 100
CONCURRENCY = 10
TABLE = "bench_engine_rows"
SCHEMA = "zcrmsync_bench"


def mapping():
    return [{"name": "bulk", "table": TABLE, "module": "Bulk", "key_columns": ["id"],
             "external_id_field": "ERP_Id", "deletes": "propagate",
             "fields": [{"column": "name", "field": "Name"}, {"column": "amount", "field": "Amount"},
                        {"column": "note", "field": "Note"}]}]


def fresh_table(db, agent):
    agent("uninstall", expect=None)
    db.drop_table(TABLE)
    db.run("CREATE TABLE %s (id integer PRIMARY KEY, name varchar(100), amount numeric(12,2), "
           "note varchar(100), created_at timestamptz NOT NULL DEFAULT clock_timestamp())" % TABLE)
    agent("install")


def timed_child(argv, env, timeout, on_timeout):
    """Runs a child; returns (exit code, wall s, CPU s, peak RSS KiB, output).
    Past `timeout` seconds, calls on_timeout() and kills the child (SIGKILL)."""
    out = tempfile.TemporaryFile()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        os.execve(argv[0], argv, env)
    while True:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > timeout:
            on_timeout()
            os.kill(pid, 9)
            _, status, ru = os.wait4(pid, 0)
            break
        time.sleep(0.05)
    wall = time.monotonic() - start
    out.seek(0)
    return (os.waitstatus_to_exitcode(status), wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss,
            out.read().decode(errors="replace"))


def ideal_client(emu, records, module="Items"):
    """C threads, each sending upserts of 100 records back to back."""
    token = emu.token()
    batches = [[{"Name": "ideal %d" % i, "ERP_Id": "ideal-%d" % i}
                for i in range(b, min(b + 100, records))] for b in range(0, records, 100)]

    def send(batch):
        body = json.dumps({"data": batch, "duplicate_check_fields": ["ERP_Id"]}).encode()
        req = urllib.request.Request(emu.url + "/crm/v8/%s/upsert" % module, data=body, method="POST",
                                     headers={"Authorization": "Zoho-oauthtoken " + token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            check(r.status in (200, 201, 207), "ideal client: HTTP %d" % r.status)
    start = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, batches))
    return records / (time.monotonic() - start)


def insert_sql(rows, per_statement):
    """N rows after install: one INSERT ... SELECT, or statements of
    `per_statement` rows each (one change row per statement on PostgreSQL)."""
    select = ("SELECT g, 'row ' || g, (g %% 1000000) / 100.0, 'note ' || g FROM generate_series(%s, %s) g")
    if per_statement <= 0 or per_statement >= rows:
        return "INSERT INTO %s (id, name, amount, note) %s" % (TABLE, select % (1, rows))
    return ("DO $$ BEGIN FOR i IN 0..%d LOOP INSERT INTO %s (id, name, amount, note) %s; END LOOP; END $$"
            % ((rows + per_statement - 1) // per_statement - 1, TABLE,
               select % ("i * %d + 1" % per_statement, "least((i + 1) * %d, %d)" % (per_statement, rows))))


def bulk_run(zcrmsync, emulator, db, work, rows, per_statement, timeout):
    emu = Emulator(emulator, work, metadata=METADATA, latency_ms=LATENCY_MS,
                   extra=["--concurrency", str(CONCURRENCY), "--credits", "100000000"])
    try:
        agent = Agent(zcrmsync, work, db, emu, SCHEMA, mapping(), max_concurrency=CONCURRENCY,
                      sync={"interval_seconds": 1})
        fresh_table(db, agent)
        # The first run's initial load queues every row already in the table;
        # it runs here, on the empty table, so what is timed is N changes.
        agent("run", "--once")
        t = time.monotonic()
        db.run(insert_sql(rows, per_statement))
        insert_s = time.monotonic() - t
        # As autovacuum soon would on a live table: without statistics the
        # planner reads the whole new table for each batch of keys.
        db.run("ANALYZE %s" % TABLE)
        emu.reset_token_window()
        # Those tokens are gone: so is the agent's cached one, which would
        # otherwise cost the timed run a refused call before its refresh.
        for name in os.listdir(work):
            if name.startswith("zoho-token-"):
                os.remove(os.path.join(work, name))
        s0 = emu.stats()
        at_timeout = {}

        def note_progress():
            at_timeout["visible"] = emu.stats()["records"]["Bulk"]
        t_start = time.time()
        rc, wall, cpu, rss_kib, out = timed_child(agent.argv("run", "--once", log_level=os.environ.get("ENGINE_BENCH_LOG", "warn")), agent.env,
                                                  timeout, note_progress)
        s1 = emu.stats()
        if os.environ.get("ENGINE_BENCH_LOG"):
            print("   started at %.3f; the agent's log:\n%s" % (t_start, out))
        timed_out = bool(at_timeout)
        if not timed_out:
            check(rc == 0, "run --once exited %d:\n%s" % (rc, out[-3000:]))
            check(s1["records"]["Bulk"] == rows, "%d records in the emulator, expected %d"
                  % (s1["records"]["Bulk"], rows))
        calls = Emulator.total_calls(s0, s1)
        ideal_measured = ideal_client(emu, min(rows, 20000))
        result = {
            "rows": rows, "per_statement": per_statement, "timed_out": timed_out,
            "visible_at_timeout": at_timeout.get("visible"), "insert_s": insert_s, "wall_s": wall, "rate": rows / wall,
            "ideal": CONCURRENCY * 100 / (LATENCY_MS / 1000.0), "ideal_measured": ideal_measured,
            "calls": calls, "calls_per_record": calls / rows, "cpu_s": cpu,
            "cpu_us_per_record": cpu / rows * 1e6, "rss_mib": rss_kib / 1024.0,
            "too_many_requests": s1["too_many_requests"] - s0["too_many_requests"],
            "output": ("KILLED after %.0f s (--timeout): %d of %d records visible in the emulator"
                       % (wall, at_timeout["visible"], rows)) if timed_out else
                      (out.strip().splitlines()[-1] if out.strip() else ""),
        }
        agent("uninstall")
        db.drop_table(TABLE)
        return result
    finally:
        emu.stop()


def trickle(zcrmsync, emulator, db, work, seconds):
    emu = Emulator(emulator, work, metadata=METADATA, latency_ms=LATENCY_MS,
                   extra=["--concurrency", str(CONCURRENCY)])
    try:
        agent = Agent(zcrmsync, work, db, emu, SCHEMA, mapping(), max_concurrency=CONCURRENCY,
                      sync={"interval_seconds": 1})
        fresh_table(db, agent)
        seen = {}
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                state = emu.admin("GET", "state")
                now = time.time()
                for r in state["modules"].get("Bulk", {"records": []})["records"]:
                    ext = r["fields"].get("ERP_Id")
                    if ext is not None and ext not in seen:
                        seen[ext] = now
                time.sleep(0.02)
        proc = agent.start("run", log_level="warn")
        time.sleep(2)  # the agent is up and cycling
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        rng = random.Random(5)
        n = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            n += 1
            db.run("INSERT INTO %s (id, name, amount, note) VALUES (%d, 'trickle %d', 1.25, 'x')" % (TABLE, n, n))
            time.sleep(rng.uniform(0.05, 0.3))
        deadline = time.monotonic() + 15
        while len(seen) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        poller.join()
        proc.terminate()
        proc.wait(30)
        check(len(seen) == n, "only %d of %d trickle rows reached the emulator" % (len(seen), n))
        rows = db.query("SELECT id, extract(epoch FROM created_at) FROM %s" % TABLE)
        lat = sorted(seen[r[0]] - float(r[1]) for r in rows)
        agent("uninstall")
        db.drop_table(TABLE)
        return {"samples": n, "p50_s": statistics.median(lat),
                "p99_s": lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))], "max_s": lat[-1]}
    finally:
        emu.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--zcrmsync", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--rows", default="100000", help="comma-separated row counts")
    p.add_argument("--trickle-seconds", type=float, default=30)
    p.add_argument("--rows-per-statement", type=int, default=0,
                   help="rows per INSERT statement (0: all rows in one statement)")
    p.add_argument("--timeout", type=float, default=600,
                   help="seconds before a run --once is killed and reported as not finished")
    opts = p.parse_args()
    db = Db("postgresql")
    if not db.cs:
        print("engine_bench: ZCRMSYNC_TEST_CONNSTR_POSTGRESQL is not set (bench/run.sh sets it)")
        return 2
    results = []
    with tempfile.TemporaryDirectory() as work:
        for rows in [int(x) for x in opts.rows.split(",")]:
            log("== %d rows: run --once at %d ms latency, concurrency %d" % (rows, LATENCY_MS, CONCURRENCY))
            r = bulk_run(opts.zcrmsync, opts.emulator, db, work, rows, opts.rows_per_statement, opts.timeout)
            results.append(r)
            log("   %s" % r["output"])
            log("   %.1f s (%.0f records/s), %d calls, %.1f s CPU, %.1f MiB peak RSS"
                % (r["wall_s"], r["rate"], r["calls"], r["cpu_s"], r["rss_mib"]))
        tr = None
        if opts.trickle_seconds > 0:
            log("== trickle: single-row inserts for %.0f s under `run` (interval 1 s)" % opts.trickle_seconds)
            tr = trickle(opts.zcrmsync, opts.emulator, db, work, opts.trickle_seconds)
    print()
    print("| rows (per INSERT) | wall | records/s | % of ideal 10,000/s | % of measured ideal client | "
          "calls/record | CPU µs/record | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["timed_out"]:
            print("| %d (%s) | > %.0f s, killed | < %.0f | < %.1f %% (goal >= 90 %%) | | | | %.1f MiB so far |"
                  % (r["rows"], r["per_statement"] or "all", r["wall_s"], r["rows"] / r["wall_s"],
                     100 * r["rows"] / r["wall_s"] / r["ideal"], r["rss_mib"]))
            continue
        print("| %d (%s) | %.1f s | %.0f | %.1f %% (goal >= 90 %%) | %.1f %% (%.0f/s) | %.4f (goal <= 0.011) | %.1f | "
              "%.1f MiB |" % (r["rows"], r["per_statement"] or "all", r["wall_s"], r["rate"], 100 * r["rate"] / r["ideal"],
                              100 * r["rate"] / r["ideal_measured"], r["ideal_measured"],
                              r["calls_per_record"], r["cpu_us_per_record"], r["rss_mib"]))
    if tr:
        print()
        print("Trickle (ERP commit -> visible in the emulator, run, interval 1 s, %d rows): "
              "p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (tr["samples"], tr["p50_s"] * 1000,
                                                         tr["p99_s"] * 1000, tr["max_s"] * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
