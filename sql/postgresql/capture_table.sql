-- zcrmsync: capture triggers for one mapped table, PostgreSQL 12+.
-- Statement-level triggers with transition tables: one change row per
-- statement and operation, holding the keys of every row it touched as a
-- JSON array (so a 100,000-row UPDATE writes one change row, not 100,000).
-- A key change of one row is captured as K ([old key, new key]); several in
-- one statement as D (old) + I (new). An UPDATE that changes no mapped
-- column captures nothing. Transactions that set zcrmsync.origin =
-- 'agent' (SET LOCAL) are not captured (echo suppression).
-- Tokens: ${table} ${function} ${trigger_insert} ${trigger_update}
--   ${trigger_delete} ${changes} (quoted identifiers), ${mapping} (a string
--   literal), ${key_new} ${key_old} (one key from n / o: the text of a
--   one-column key, else a json array of the texts; json_agg makes either a
--   JSON array element), ${key_join} (o = n on the key), ${mapped_changed} (a
--   mapped column of o differs from n), ${old_missing} ${new_missing} (no o /
--   n row matched in the full join). No parameters. Idempotent.
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
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, json_agg(${key_new})::text, 'I' FROM zcrmsync_new n
      HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, json_agg(${key_old})::text, 'D' FROM zcrmsync_old o
      HAVING count(*) > 0;
  ELSE
    -- One full join sorts every row into U (same key, a mapped column
    -- changed), D (old key gone) or I (new key): a key change is D + I,
    -- except when the statement changed the key of one row only: then one
    -- K row holds [old key, new key], and the agent moves the row's CRM
    -- record to the new key instead of deleting it and creating another.
    -- (Several key changes in one statement cannot be paired: D + I.)
    INSERT INTO ${changes} (mapping, keys_json, op)
      WITH c AS (SELECT CASE WHEN ${old_missing} THEN 'I' WHEN ${new_missing} THEN 'D' ELSE 'U' END AS op,
                        CASE WHEN ${new_missing} THEN ${key_old} ELSE ${key_new} END AS k
                   FROM zcrmsync_old o FULL JOIN zcrmsync_new n ON ${key_join}
                  WHERE ${old_missing} OR ${new_missing} OR ${mapped_changed}),
           g AS (SELECT c.op, json_agg(c.k) AS keys, count(*) AS n FROM c GROUP BY c.op),
           moved AS (SELECT json_build_array(d.keys -> 0, i.keys -> 0) AS keys
                       FROM g AS d JOIN g AS i ON d.op = 'D' AND i.op = 'I'
                      WHERE d.n = 1 AND i.n = 1)
      SELECT ${mapping}, g.keys::text, g.op FROM g
       WHERE g.op = 'U' OR NOT EXISTS (SELECT 1 FROM moved)
      UNION ALL
      SELECT ${mapping}, moved.keys::text, 'K' FROM moved
       ORDER BY 3;
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
