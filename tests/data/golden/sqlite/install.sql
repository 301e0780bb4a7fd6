-- zcrmsync SQL kit for sqlite. Review it, then run it as one transaction where the dialect allows.

CREATE TABLE IF NOT EXISTS "zcrmsync_schema_version" (
  -- zcrmsync: version of the agent's own objects, for migrations
  version      integer NOT NULL PRIMARY KEY,
  installed_at text    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

INSERT OR IGNORE INTO "zcrmsync_schema_version" (version) VALUES (1);

CREATE TABLE IF NOT EXISTS "zcrmsync_changes" (
  -- zcrmsync: one row per captured change of a mapped row. SQLite has one
  -- writer at a time, so change ids commit in order. A rowid key (no
  -- AUTOINCREMENT: that costs a write per insert) takes max + 1, so the purge
  -- always keeps the newest row to keep ids from going back.
  change_id  integer NOT NULL PRIMARY KEY,
  mapping    text    NOT NULL,
  -- The key as text when it has one column (no JSON function per row), else
  -- keys_json: a JSON array of keys (a composite key; the initial load).
  key_text   text,
  keys_json  text,
  -- 'I', 'U' or 'D'. No CHECK: only the triggers and the agent write here,
  -- and a check costs every captured row (op IN (...) even builds a lookup
  -- table per row inside a trigger: it tripled a captured insert, measured).
  op         text    NOT NULL,
  -- UTC as a Julian day number: cheaper per row than formatting text.
  changed_at real    NOT NULL DEFAULT (julianday('now'))
);

CREATE TABLE IF NOT EXISTS "zcrmsync_links" (
  -- zcrmsync: ERP key <-> Zoho id <-> external id, with the merge base
  mapping         text NOT NULL,
  erp_key         text NOT NULL,
  zoho_id         text,
  external_id     text,
  base_values     text,
  erp_changed_at  text,
  crm_modified_at text,
  updated_at      text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
  PRIMARY KEY (mapping, erp_key),
  UNIQUE (mapping, zoho_id)
);

CREATE TABLE IF NOT EXISTS "zcrmsync_state" (
  -- zcrmsync: cursors and watermarks
  name       text NOT NULL PRIMARY KEY,
  value      text,
  updated_at text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS "zcrmsync_errors" (
  -- zcrmsync: the dead letter: records parked after a data error
  error_id        integer NOT NULL PRIMARY KEY,
  mapping         text    NOT NULL,
  erp_key         text,
  zoho_id         text,
  direction       text    NOT NULL,
  status_code     text    NOT NULL,
  field           text,
  message         text    NOT NULL,
  attempts        integer NOT NULL DEFAULT 1,
  first_failed_at text    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
  last_failed_at  text    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
  resolved_at     text
);

CREATE TABLE IF NOT EXISTS "zcrmsync_conflicts" (
  -- zcrmsync: fields both sides changed under the manual rule, held for a person
  conflict_id    integer NOT NULL PRIMARY KEY,
  mapping        text    NOT NULL,
  erp_key        text    NOT NULL,
  zoho_id        text,
  field          text    NOT NULL,
  base_value     text,
  erp_value      text,
  crm_value      text,
  erp_changed_at text,
  crm_changed_at text,
  detected_at    text    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
  resolved_at    text,
  resolution     text
);

CREATE TABLE IF NOT EXISTS "zcrmsync_suppress" (
  -- zcrmsync: echo suppression. The agent inserts a row inside each of its own
  -- write transactions and deletes it before COMMIT; the capture triggers skip
  -- changes while a row is present. Other connections never see the row.
  origin text NOT NULL
);

DROP TRIGGER IF EXISTS "zcrmsync_customers_insert";

CREATE TRIGGER "zcrmsync_customers_insert" AFTER INSERT ON "Customer List"
  WHEN NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, key_text, op)
    VALUES ('customers', CAST(NEW."id" AS TEXT), 'I');
END;

DROP TRIGGER IF EXISTS "zcrmsync_customers_update";

CREATE TRIGGER "zcrmsync_customers_update" AFTER UPDATE OF "email", "name", "order" ON "Customer List"
  WHEN (OLD."id" IS NEW."id") AND NOT (OLD."email" IS NEW."email" COLLATE BINARY AND OLD."name" IS NEW."name" COLLATE BINARY AND OLD."order" IS NEW."order" COLLATE BINARY) AND NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, key_text, op)
    VALUES ('customers', CAST(NEW."id" AS TEXT), 'U');
END;

DROP TRIGGER IF EXISTS "zcrmsync_customers_update_key";

CREATE TRIGGER "zcrmsync_customers_update_key" AFTER UPDATE OF "id" ON "Customer List"
  WHEN NOT (OLD."id" IS NEW."id") AND NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, keys_json, op)
    VALUES ('customers', json_array(CAST(OLD."id" AS TEXT), CAST(NEW."id" AS TEXT)), 'K');
END;

DROP TRIGGER IF EXISTS "zcrmsync_customers_delete";

CREATE TRIGGER "zcrmsync_customers_delete" AFTER DELETE ON "Customer List"
  WHEN NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, key_text, op)
    VALUES ('customers', CAST(OLD."id" AS TEXT), 'D');
END;

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_insert";

CREATE TRIGGER "zcrmsync_order_lines_insert" AFTER INSERT ON "order lines"
  WHEN NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, keys_json, op)
    VALUES ('order_lines', json_array(json_array(CAST(NEW."order" AS TEXT), CAST(NEW."line no" AS TEXT))), 'I');
END;

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update";

CREATE TRIGGER "zcrmsync_order_lines_update" AFTER UPDATE OF "Unit ""Price""", "qty", "user" ON "order lines"
  WHEN (OLD."order" IS NEW."order" AND OLD."line no" IS NEW."line no") AND NOT (OLD."Unit ""Price""" IS NEW."Unit ""Price""" COLLATE BINARY AND OLD."qty" IS NEW."qty" COLLATE BINARY AND OLD."user" IS NEW."user" COLLATE BINARY) AND NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, keys_json, op)
    VALUES ('order_lines', json_array(json_array(CAST(NEW."order" AS TEXT), CAST(NEW."line no" AS TEXT))), 'U');
END;

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update_key";

CREATE TRIGGER "zcrmsync_order_lines_update_key" AFTER UPDATE OF "order", "line no" ON "order lines"
  WHEN NOT (OLD."order" IS NEW."order" AND OLD."line no" IS NEW."line no") AND NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, keys_json, op)
    VALUES ('order_lines', json_array(json_array(CAST(OLD."order" AS TEXT), CAST(OLD."line no" AS TEXT)), json_array(CAST(NEW."order" AS TEXT), CAST(NEW."line no" AS TEXT))), 'K');
END;

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_delete";

CREATE TRIGGER "zcrmsync_order_lines_delete" AFTER DELETE ON "order lines"
  WHEN NOT EXISTS (SELECT 1 FROM "zcrmsync_suppress")
BEGIN
  INSERT INTO "zcrmsync_changes" (mapping, keys_json, op)
    VALUES ('order_lines', json_array(json_array(CAST(OLD."order" AS TEXT), CAST(OLD."line no" AS TEXT))), 'D');
END;

