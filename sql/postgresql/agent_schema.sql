-- zcrmsync: the agent's own objects, PostgreSQL 12+.
-- Tokens: ${schema} ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} (quoted identifiers). No parameters. Idempotent.
CREATE SCHEMA IF NOT EXISTS ${schema}
GO
COMMENT ON SCHEMA ${schema} IS 'zcrmsync: objects of the ERP/Zoho CRM sync agent'
GO
CREATE TABLE IF NOT EXISTS ${schema_version} (
  version      integer     NOT NULL PRIMARY KEY,
  installed_at timestamptz NOT NULL DEFAULT now()
)
GO
COMMENT ON TABLE ${schema_version} IS 'zcrmsync: version of the agent''s own objects, for migrations'
GO
INSERT INTO ${schema_version} (version) VALUES (1) ON CONFLICT (version) DO NOTHING
GO
CREATE TABLE IF NOT EXISTS ${changes} (
  change_id  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mapping    varchar(64) NOT NULL,
  keys_json   text        NOT NULL,
  op         char(1)     NOT NULL CONSTRAINT zcrmsync_changes_op CHECK (op IN ('I', 'U', 'D', 'K')),
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  txid       xid8        NOT NULL DEFAULT pg_current_xact_id()
)
GO
COMMENT ON TABLE ${changes} IS 'zcrmsync: captured changes of mapped rows, one row per statement and operation with the keys as a JSON array (a one-column key as its text, a composite key as an array of texts); read in commit order by txid. keys_json is stored uncompressed: compressing large key lists costs more than it saves'
GO
ALTER TABLE ${changes} ALTER COLUMN keys_json SET STORAGE EXTERNAL
GO
CREATE INDEX IF NOT EXISTS zcrmsync_changes_txid ON ${changes} (txid, change_id)
GO
-- Installs before key changes were captured as K checked op for I, U, D:
-- that check is replaced.
DO $zcrmsync$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
            WHERE conrelid = '${changes}'::regclass AND contype = 'c'
              AND pg_get_constraintdef(oid) NOT LIKE '%''K''%'
  LOOP
    EXECUTE 'ALTER TABLE ${changes} DROP CONSTRAINT ' || quote_ident(c.conname);
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = '${changes}'::regclass AND conname = 'zcrmsync_changes_op') THEN
    ALTER TABLE ${changes} ADD CONSTRAINT zcrmsync_changes_op CHECK (op IN ('I', 'U', 'D', 'K'));
  END IF;
END
$zcrmsync$
GO
CREATE TABLE IF NOT EXISTS ${links} (
  mapping         varchar(64)  NOT NULL,
  erp_key         text         NOT NULL,
  zoho_id         varchar(32),
  external_id     varchar(255),
  base_values     text,
  erp_changed_at  timestamptz,
  crm_modified_at timestamptz,
  updated_at      timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (mapping, erp_key)
)
GO
COMMENT ON TABLE ${links} IS 'zcrmsync: ERP key <-> Zoho id <-> external id, with the last-synced field values (the merge base) and change times'
GO
-- Zoho id first: an index led by mapping would tie with the primary key in
-- the planner's eyes for a lookup by ERP key while the table has no
-- statistics, and lose by filtering the whole mapping for each key.
CREATE UNIQUE INDEX IF NOT EXISTS zcrmsync_links_zoho_id ON ${links} (zoho_id, mapping)
GO
CREATE TABLE IF NOT EXISTS ${state} (
  name       varchar(200) NOT NULL PRIMARY KEY,
  value      text,
  updated_at timestamptz  NOT NULL DEFAULT now()
)
GO
COMMENT ON TABLE ${state} IS 'zcrmsync: cursors and watermarks'
GO
CREATE TABLE IF NOT EXISTS ${errors} (
  error_id        bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mapping         varchar(64)  NOT NULL,
  erp_key         text,
  zoho_id         varchar(32),
  direction       varchar(16)  NOT NULL,
  status_code     varchar(32)  NOT NULL,
  field           varchar(200),
  message         text         NOT NULL,
  attempts        integer      NOT NULL DEFAULT 1,
  first_failed_at timestamptz  NOT NULL DEFAULT now(),
  last_failed_at  timestamptz  NOT NULL DEFAULT now(),
  resolved_at     timestamptz
)
GO
COMMENT ON TABLE ${errors} IS 'zcrmsync: the dead letter: records parked after a data error, with the error naming the field'
GO
CREATE TABLE IF NOT EXISTS ${conflicts} (
  conflict_id    bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mapping        varchar(64)  NOT NULL,
  erp_key        text         NOT NULL,
  zoho_id        varchar(32),
  field          varchar(200) NOT NULL,
  base_value     text,
  erp_value      text,
  crm_value      text,
  erp_changed_at timestamptz,
  crm_changed_at timestamptz,
  detected_at    timestamptz  NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  resolution     varchar(8)
)
GO
COMMENT ON TABLE ${conflicts} IS 'zcrmsync: fields both sides changed under the manual conflict rule, held for a person to settle'
