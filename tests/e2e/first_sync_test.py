#!/usr/bin/env python3
"""e2e (issue #12, defect 14): before a first sync without match_fields, when
both sides already hold records, `check` and `plan` warn with the counts;
with match_fields set, or once the first sync has run, they do not. Usage:
  first_sync_test.py ZCRMSYNC EMULATOR postgresql|mariadb|sqlite
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_e2e_lib import Agent, Emulator, check, log, main_wrapper  # noqa: E402

TABLE = "e2e_fs_customers"
SCHEMA = "zcrmsync_e2efs"


def mappings(match=False):
    m = {"name": "customers", "table": TABLE, "module": "Accounts", "key_columns": ["id"],
         "external_id_field": "ERP_Id",
         "fields": [{"column": "name", "field": "Account_Name"},
                    {"column": "website", "field": "Website"}]}
    if match:
        m["match_fields"] = [{"column": "website", "field": "Website"}]
    return [m]


def warnings(out):
    return [line for line in out.splitlines() if line.startswith("warning: ")]


def test(binary, emulator_bin, db, work):
    emu = Emulator(emulator_bin, work)
    try:
        scenario(binary, emu, db, work)
    finally:
        emu.stop()


def scenario(binary, emu, db, work):
    agent = Agent(binary, work, db, emu, SCHEMA, mappings())
    agent("uninstall", expect=None)  # leftovers of an earlier failed run
    db.drop_table(TABLE)
    key = {"postgresql": "id serial PRIMARY KEY", "mysql": "id integer AUTO_INCREMENT PRIMARY KEY",
           "sqlite": "id INTEGER PRIMARY KEY"}[db.dialect]
    db.run("CREATE TABLE %s (%s, name varchar(100), website varchar(200))" % (TABLE, key))
    db.run("INSERT INTO %s (name, website) VALUES %s" % (
        TABLE, ", ".join("('ERP %d', 'erp%d.example')" % (n, n) for n in range(1, 6))))
    status, doc = emu.api("POST", "Accounts", {"data": [
        {"Account_Name": "CRM %d" % n, "Website": "crm%d.example" % n} for n in range(1, 4)]})
    check(status in (200, 201), "creating CRM records failed: %s %s" % (status, doc))

    want = ("warning: mapping customers: 5 ERP rows in %s and 3 Zoho Accounts records exist and "
            "match_fields is not set: the first sync will create 5 CRM records and 3 ERP rows; "
            "if some are the same, set match_fields" % TABLE)
    log("1. check before install warns")
    _, out = agent("check")
    check(any(w.startswith(want) for w in warnings(out)), "check did not warn:\n" + out)
    check("ok: the config, the database and Zoho agree" in out, "check did not pass:\n" + out)

    log("2. after install, check and plan still warn (no sync yet)")
    agent("install")
    _, out = agent("check")
    check(any(w.startswith(want) for w in warnings(out)), "check after install did not warn:\n" + out)
    _, out = agent("plan")
    check(any(w.startswith(want) for w in warnings(out)), "plan did not warn:\n" + out)

    log("3. with match_fields: no warning")
    matched = Agent(binary, work, db, emu, SCHEMA, mappings(match=True))
    _, out = matched("check")
    check(not warnings(out), "check warned although match_fields is set:\n" + out)
    _, out = matched("plan")
    check(not warnings(out), "plan warned although match_fields is set:\n" + out)

    log("4. the first sync does what the warning said; then no warning")
    agent.run_once()
    check(len(emu.records("Accounts")) == 8, "8 Accounts expected after the first sync, got %d" %
          len(emu.records("Accounts")))
    check(db.scalar("SELECT COUNT(*) FROM %s" % TABLE) == "8", "8 ERP rows expected")
    _, out = agent("check")
    check(not warnings(out), "check warned after the first sync:\n" + out)
    _, out = agent("plan")
    check(not warnings(out), "plan warned after the first sync:\n" + out)

    agent("uninstall")
    db.drop_table(TABLE)


if __name__ == "__main__":
    main_wrapper(test)
