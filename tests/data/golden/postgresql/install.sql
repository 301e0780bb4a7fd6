-- zcrmsync SQL kit for postgresql. Review it, then run it as one transaction where the dialect allows.

CREATE SCHEMA IF NOT EXISTS "zcrmsync";

COMMENT ON SCHEMA "zcrmsync" IS 'zcrmsync: objects of the ERP/Zoho CRM sync agent';

CREATE TABLE IF NOT EXISTS "zcrmsync"."schema_version" (
  version      integer     NOT NULL PRIMARY KEY,
  installed_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE "zcrmsync"."schema_version" IS 'zcrmsync: version of the agent''s own objects, for migrations';

INSERT INTO "zcrmsync"."schema_version" (version) VALUES (1) ON CONFLICT (version) DO NOTHING;

CREATE TABLE IF NOT EXISTS "zcrmsync"."changes" (
  change_id  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mapping    varchar(64) NOT NULL,
  keys_json   text        NOT NULL,
  op         char(1)     NOT NULL CONSTRAINT zcrmsync_changes_op CHECK (op IN ('I', 'U', 'D', 'K')),
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  txid       xid8        NOT NULL DEFAULT pg_current_xact_id()
);

COMMENT ON TABLE "zcrmsync"."changes" IS 'zcrmsync: captured changes of mapped rows, one row per statement and operation with the keys as a JSON array (a one-column key as its text, a composite key as an array of texts); read in commit order by txid. keys_json is stored uncompressed: compressing large key lists costs more than it saves';

ALTER TABLE "zcrmsync"."changes" ALTER COLUMN keys_json SET STORAGE EXTERNAL;

CREATE INDEX IF NOT EXISTS zcrmsync_changes_txid ON "zcrmsync"."changes" (txid, change_id);

-- Installs before key changes were captured as K checked op for I, U, D:
-- that check is replaced.
DO $zcrmsync$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
            WHERE conrelid = '"zcrmsync"."changes"'::regclass AND contype = 'c'
              AND pg_get_constraintdef(oid) NOT LIKE '%''K''%'
  LOOP
    EXECUTE 'ALTER TABLE "zcrmsync"."changes" DROP CONSTRAINT ' || quote_ident(c.conname);
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = '"zcrmsync"."changes"'::regclass AND conname = 'zcrmsync_changes_op') THEN
    ALTER TABLE "zcrmsync"."changes" ADD CONSTRAINT zcrmsync_changes_op CHECK (op IN ('I', 'U', 'D', 'K'));
  END IF;
END
$zcrmsync$;

CREATE TABLE IF NOT EXISTS "zcrmsync"."links" (
  mapping         varchar(64)  NOT NULL,
  erp_key         text         NOT NULL,
  zoho_id         varchar(32),
  external_id     varchar(255),
  base_values     text,
  erp_changed_at  timestamptz,
  crm_modified_at timestamptz,
  updated_at      timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (mapping, erp_key)
);

COMMENT ON TABLE "zcrmsync"."links" IS 'zcrmsync: ERP key <-> Zoho id <-> external id, with the last-synced field values (the merge base) and change times';

-- Zoho id first: an index led by mapping would tie with the primary key in
-- the planner's eyes for a lookup by ERP key while the table has no
-- statistics, and lose by filtering the whole mapping for each key.
CREATE UNIQUE INDEX IF NOT EXISTS zcrmsync_links_zoho_id ON "zcrmsync"."links" (zoho_id, mapping);

CREATE TABLE IF NOT EXISTS "zcrmsync"."state" (
  name       varchar(200) NOT NULL PRIMARY KEY,
  value      text,
  updated_at timestamptz  NOT NULL DEFAULT now()
);

COMMENT ON TABLE "zcrmsync"."state" IS 'zcrmsync: cursors and watermarks';

CREATE TABLE IF NOT EXISTS "zcrmsync"."errors" (
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
);

COMMENT ON TABLE "zcrmsync"."errors" IS 'zcrmsync: the dead letter: records parked after a data error, with the error naming the field';

CREATE TABLE IF NOT EXISTS "zcrmsync"."conflicts" (
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
);

COMMENT ON TABLE "zcrmsync"."conflicts" IS 'zcrmsync: fields both sides changed under the manual conflict rule, held for a person to settle';

CREATE OR REPLACE FUNCTION "zcrmsync"."capture_customers"() RETURNS trigger
LANGUAGE plpgsql
-- No JIT: transition tables have no statistics, so for a large statement the
-- planner guesses a huge join and JIT-compiles it, which costs more than the
-- whole query (about 0.1 s per 100,000-row UPDATE, measured).
SET jit = off
AS $zcrmsync$
BEGIN
  IF coalesce(current_setting('zcrmsync.origin', true), '') = 'agent' THEN
    RETURN NULL;
  END IF;
  IF TG_LEVEL = 'ROW' THEN
    -- The key of this row changed (the trigger's WHEN says so).
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      VALUES ('customers', json_build_array(OLD."id"::text, NEW."id"::text)::text, 'K');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'customers', json_agg(n."id"::text)::text, 'I' FROM zcrmsync_new n
      HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'customers', json_agg(o."id"::text)::text, 'D' FROM zcrmsync_old o
      HAVING count(*) > 0;
  ELSE
    -- Rows whose key stayed and a mapped column changed (rows whose key
    -- changed are the row-level trigger's K).
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'customers', json_agg(n."id"::text)::text, 'U'
        FROM zcrmsync_old o JOIN zcrmsync_new n ON o."id" = n."id"
       WHERE (o."email"::text COLLATE "C" IS DISTINCT FROM n."email"::text COLLATE "C" OR o."name" IS DISTINCT FROM n."name" OR o."order" IS DISTINCT FROM n."order")
      HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$zcrmsync$;

COMMENT ON FUNCTION "zcrmsync"."capture_customers"() IS 'zcrmsync: writes changes of mapped columns to the change table';

DROP TRIGGER IF EXISTS "zcrmsync_customers_insert" ON "erp"."Customer List";

CREATE TRIGGER "zcrmsync_customers_insert" AFTER INSERT ON "erp"."Customer List"
  REFERENCING NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_customers"();

COMMENT ON TRIGGER "zcrmsync_customers_insert" ON "erp"."Customer List" IS 'zcrmsync: captures inserts for the sync agent';

DROP TRIGGER IF EXISTS "zcrmsync_customers_update" ON "erp"."Customer List";

CREATE TRIGGER "zcrmsync_customers_update" AFTER UPDATE ON "erp"."Customer List"
  REFERENCING OLD TABLE AS zcrmsync_old NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_customers"();

COMMENT ON TRIGGER "zcrmsync_customers_update" ON "erp"."Customer List" IS 'zcrmsync: captures updates of mapped columns for the sync agent';

DROP TRIGGER IF EXISTS "zcrmsync_customers_update_key" ON "erp"."Customer List";

CREATE TRIGGER "zcrmsync_customers_update_key" AFTER UPDATE OF "id" ON "erp"."Customer List"
  FOR EACH ROW WHEN (OLD."id" IS DISTINCT FROM NEW."id") EXECUTE FUNCTION "zcrmsync"."capture_customers"();

COMMENT ON TRIGGER "zcrmsync_customers_update_key" ON "erp"."Customer List" IS 'zcrmsync: captures key changes for the sync agent, one row at a time';

DROP TRIGGER IF EXISTS "zcrmsync_customers_delete" ON "erp"."Customer List";

CREATE TRIGGER "zcrmsync_customers_delete" AFTER DELETE ON "erp"."Customer List"
  REFERENCING OLD TABLE AS zcrmsync_old
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_customers"();

COMMENT ON TRIGGER "zcrmsync_customers_delete" ON "erp"."Customer List" IS 'zcrmsync: captures deletes for the sync agent';

CREATE OR REPLACE FUNCTION "zcrmsync"."capture_order_lines"() RETURNS trigger
LANGUAGE plpgsql
-- No JIT: transition tables have no statistics, so for a large statement the
-- planner guesses a huge join and JIT-compiles it, which costs more than the
-- whole query (about 0.1 s per 100,000-row UPDATE, measured).
SET jit = off
AS $zcrmsync$
BEGIN
  IF coalesce(current_setting('zcrmsync.origin', true), '') = 'agent' THEN
    RETURN NULL;
  END IF;
  IF TG_LEVEL = 'ROW' THEN
    -- The key of this row changed (the trigger's WHEN says so).
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      VALUES ('order_lines', json_build_array(json_build_array(OLD."order"::text, OLD."line no"::text), json_build_array(NEW."order"::text, NEW."line no"::text))::text, 'K');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'order_lines', json_agg(json_build_array(n."order"::text, n."line no"::text))::text, 'I' FROM zcrmsync_new n
      HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'order_lines', json_agg(json_build_array(o."order"::text, o."line no"::text))::text, 'D' FROM zcrmsync_old o
      HAVING count(*) > 0;
  ELSE
    -- Rows whose key stayed and a mapped column changed (rows whose key
    -- changed are the row-level trigger's K).
    INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op)
      SELECT 'order_lines', json_agg(json_build_array(n."order"::text, n."line no"::text))::text, 'U'
        FROM zcrmsync_old o JOIN zcrmsync_new n ON o."order" = n."order" AND o."line no" = n."line no"
       WHERE (o."Unit ""Price""" IS DISTINCT FROM n."Unit ""Price""" OR o."qty" IS DISTINCT FROM n."qty" OR o."user"::text COLLATE "C" IS DISTINCT FROM n."user"::text COLLATE "C")
      HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$zcrmsync$;

COMMENT ON FUNCTION "zcrmsync"."capture_order_lines"() IS 'zcrmsync: writes changes of mapped columns to the change table';

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_insert" ON "erp"."order lines";

CREATE TRIGGER "zcrmsync_order_lines_insert" AFTER INSERT ON "erp"."order lines"
  REFERENCING NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_order_lines"();

COMMENT ON TRIGGER "zcrmsync_order_lines_insert" ON "erp"."order lines" IS 'zcrmsync: captures inserts for the sync agent';

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update" ON "erp"."order lines";

CREATE TRIGGER "zcrmsync_order_lines_update" AFTER UPDATE ON "erp"."order lines"
  REFERENCING OLD TABLE AS zcrmsync_old NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_order_lines"();

COMMENT ON TRIGGER "zcrmsync_order_lines_update" ON "erp"."order lines" IS 'zcrmsync: captures updates of mapped columns for the sync agent';

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update_key" ON "erp"."order lines";

CREATE TRIGGER "zcrmsync_order_lines_update_key" AFTER UPDATE OF "order", "line no" ON "erp"."order lines"
  FOR EACH ROW WHEN (OLD."order" IS DISTINCT FROM NEW."order" OR OLD."line no" IS DISTINCT FROM NEW."line no") EXECUTE FUNCTION "zcrmsync"."capture_order_lines"();

COMMENT ON TRIGGER "zcrmsync_order_lines_update_key" ON "erp"."order lines" IS 'zcrmsync: captures key changes for the sync agent, one row at a time';

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_delete" ON "erp"."order lines";

CREATE TRIGGER "zcrmsync_order_lines_delete" AFTER DELETE ON "erp"."order lines"
  REFERENCING OLD TABLE AS zcrmsync_old
  FOR EACH STATEMENT EXECUTE FUNCTION "zcrmsync"."capture_order_lines"();

COMMENT ON TRIGGER "zcrmsync_order_lines_delete" ON "erp"."order lines" IS 'zcrmsync: captures deletes for the sync agent';

