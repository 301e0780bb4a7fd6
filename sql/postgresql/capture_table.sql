-- zcrmsync: capture triggers for one mapped table, PostgreSQL 12+.
-- Statement-level triggers with transition tables: one change row per
-- statement and operation, holding the keys of every row it touched as a
-- JSON array (so a 100,000-row UPDATE writes one change row, not 100,000).
-- A key change is captured per row, as K ([old key, new key]), by a
-- row-level trigger that fires only for UPDATE OF a key column and only
-- when the key differs: the agent moves the row's CRM record to the new key
-- instead of deleting it and creating another. The statement-level UPDATE
-- trigger captures U for rows whose key stayed and a mapped column changed;
-- an UPDATE that changes no mapped column and no key captures nothing.
-- Transactions that set zcrmsync.origin = 'agent' (SET LOCAL) are not
-- captured (echo suppression).
-- Tokens: ${table} ${function} ${trigger_insert} ${trigger_update}
--   ${trigger_update_key} ${trigger_delete} ${changes} (quoted identifiers),
--   ${mapping} (a string literal), ${key_new} ${key_old} (one key from n /
--   o: the text of a one-column key, else a json array of the texts;
--   json_agg makes either a JSON array element), ${key_change} (the JSON
--   array [OLD key, NEW key] of a row), ${key_columns} (the quoted key
--   columns), ${key_differs} (OLD's key differs from NEW's), ${key_join}
--   (o = n on the key), ${mapped_changed} (a mapped column of o differs from
--   n). No parameters. Idempotent.
CREATE OR REPLACE FUNCTION ${function}() RETURNS trigger
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
    INSERT INTO ${changes} (mapping, keys_json, op)
      VALUES (${mapping}, ${key_change}::text, 'K');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, json_agg(${key_new})::text, 'I' FROM zcrmsync_new n
      HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, json_agg(${key_old})::text, 'D' FROM zcrmsync_old o
      HAVING count(*) > 0;
  ELSE
    -- Rows whose key stayed and a mapped column changed (rows whose key
    -- changed are the row-level trigger's K).
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, json_agg(${key_new})::text, 'U'
        FROM zcrmsync_old o JOIN zcrmsync_new n ON ${key_join}
       WHERE ${mapped_changed}
      HAVING count(*) > 0;
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
DROP TRIGGER IF EXISTS ${trigger_update_key} ON ${table}
GO
CREATE TRIGGER ${trigger_update_key} AFTER UPDATE OF ${key_columns} ON ${table}
  FOR EACH ROW WHEN (${key_differs}) EXECUTE FUNCTION ${function}()
GO
COMMENT ON TRIGGER ${trigger_update_key} ON ${table} IS 'zcrmsync: captures key changes for the sync agent, one row at a time'
GO
DROP TRIGGER IF EXISTS ${trigger_delete} ON ${table}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS zcrmsync_old
  FOR EACH STATEMENT EXECUTE FUNCTION ${function}()
GO
COMMENT ON TRIGGER ${trigger_delete} ON ${table} IS 'zcrmsync: captures deletes for the sync agent'
