-- zcrmsync: the agent's own objects, SQLite 3.38+ (json_array). SQLite has no
-- schemas: the objects carry the configured prefix instead.
-- Tokens: ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} ${suppress} (quoted identifiers). No parameters. Idempotent.
CREATE TABLE IF NOT EXISTS ${schema_version} (
  -- zcrmsync: version of the agent's own objects, for migrations
  version      integer NOT NULL PRIMARY KEY,
  installed_at text    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
)
GO
INSERT OR IGNORE INTO ${schema_version} (version) VALUES (1)
GO
CREATE TABLE IF NOT EXISTS ${changes} (
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
)
GO
CREATE TABLE IF NOT EXISTS ${links} (
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
)
GO
CREATE TABLE IF NOT EXISTS ${state} (
  -- zcrmsync: cursors and watermarks
  name       text NOT NULL PRIMARY KEY,
  value      text,
  updated_at text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
)
GO
CREATE TABLE IF NOT EXISTS ${errors} (
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
)
GO
CREATE TABLE IF NOT EXISTS ${conflicts} (
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
)
GO
CREATE TABLE IF NOT EXISTS ${suppress} (
  -- zcrmsync: echo suppression. The agent inserts a row inside each of its own
  -- write transactions and deletes it before COMMIT; the capture triggers skip
  -- changes while a row is present. Other connections never see the row.
  origin text NOT NULL
)
