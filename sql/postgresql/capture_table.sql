-- zcrmsync: capture triggers for one mapped table, PostgreSQL 12+.
-- Statement-level triggers with transition tables: one INSERT ... SELECT per
-- statement, not per row. A key change is captured as D (old) + I (new); an
-- UPDATE that changes no mapped column captures nothing. Transactions that set
-- zcrmsync.origin = 'agent' (SET LOCAL) are not captured (echo suppression).
-- Tokens: ${table} ${function} ${trigger_insert} ${trigger_update}
--   ${trigger_delete} ${changes} (quoted identifiers), ${mapping} (a string
--   literal), ${key_json_new} ${key_json_old} (key as JSON text, from n / o),
--   ${key_join} (o = n on the key), ${mapped_changed} (a mapped column of o
--   differs from n). No parameters. Idempotent.
CREATE OR REPLACE FUNCTION ${function}() RETURNS trigger
LANGUAGE plpgsql AS $zcrmsync$
BEGIN
  IF coalesce(current_setting('zcrmsync.origin', true), '') = 'agent' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${changes} (mapping, key_json, op)
      SELECT ${mapping}, ${key_json_new}, 'I' FROM zcrmsync_new n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${changes} (mapping, key_json, op)
      SELECT ${mapping}, ${key_json_old}, 'D' FROM zcrmsync_old o;
  ELSE
    INSERT INTO ${changes} (mapping, key_json, op)
      SELECT ${mapping}, ${key_json_new}, 'U'
        FROM zcrmsync_old o JOIN zcrmsync_new n ON ${key_join}
       WHERE ${mapped_changed};
    INSERT INTO ${changes} (mapping, key_json, op)
      SELECT ${mapping}, ${key_json_old}, 'D' FROM zcrmsync_old o
       WHERE NOT EXISTS (SELECT 1 FROM zcrmsync_new n WHERE ${key_join});
    INSERT INTO ${changes} (mapping, key_json, op)
      SELECT ${mapping}, ${key_json_new}, 'I' FROM zcrmsync_new n
       WHERE NOT EXISTS (SELECT 1 FROM zcrmsync_old o WHERE ${key_join});
  END IF;
  RETURN NULL;
END
$zcrmsync$
GO
COMMENT ON FUNCTION ${function}() IS 'zcrmsync: writes changes of mapped columns to the change table'
GO
DROP TRIGGER IF EXISTS ${trigger_insert} ON ${table}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION ${function}()
GO
COMMENT ON TRIGGER ${trigger_insert} ON ${table} IS 'zcrmsync: captures inserts for the sync agent'
GO
DROP TRIGGER IF EXISTS ${trigger_update} ON ${table}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE ON ${table}
  REFERENCING OLD TABLE AS zcrmsync_old NEW TABLE AS zcrmsync_new
  FOR EACH STATEMENT EXECUTE FUNCTION ${function}()
GO
COMMENT ON TRIGGER ${trigger_update} ON ${table} IS 'zcrmsync: captures updates of mapped columns for the sync agent'
GO
DROP TRIGGER IF EXISTS ${trigger_delete} ON ${table}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS zcrmsync_old
  FOR EACH STATEMENT EXECUTE FUNCTION ${function}()
GO
COMMENT ON TRIGGER ${trigger_delete} ON ${table} IS 'zcrmsync: captures deletes for the sync agent'
