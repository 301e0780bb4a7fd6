-- zcrmsync: capture triggers for one mapped table, MySQL 8 / MariaDB 10.5+.
-- Row-level (the dialect has no statement-level triggers), one per event. A
-- key change is captured as K, keys_json holding [old key, new key] (the
-- agent moves the row's CRM record to the new key); an UPDATE that changes
-- no mapped column captures nothing. Sessions with @zcrmsync_origin = 'agent'
-- are not captured (echo suppression; the agent resets it to NULL after each
-- transaction).
-- Kept cheap per row: the key of a one-column key goes in as plain text
-- (key_text; the reader makes it JSON), a composite key as one JSON array in
-- keys_json; values are compared as bytes, so a change of letter case is
-- captured too (a _ci collation would call 'abc' and 'ABC' the same).
-- Tokens: ${table} ${trigger_insert} ${trigger_update} ${trigger_delete}
--   ${changes} (quoted identifiers), ${mapping} (a string literal),
--   ${key_column} (key_text or keys_json), ${key_new} ${key_old} (the value
--   for it, from NEW / OLD), ${key_change} (the JSON array [old key, new
--   key] of a K row), ${key_same} (OLD and NEW have the same key),
--   ${mapped_same} (no mapped column differs). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table} FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO ${changes} (mapping, ${key_column}, op, changed_at)
      VALUES (${mapping}, ${key_new}, 'I', UTC_TIMESTAMP(6));
  END IF
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE ON ${table} FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    IF NOT (${key_same}) THEN
      INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
        VALUES (${mapping}, ${key_change}, 'K', UTC_TIMESTAMP(6));
    ELSEIF NOT (${mapped_same}) THEN
      INSERT INTO ${changes} (mapping, ${key_column}, op, changed_at)
        VALUES (${mapping}, ${key_new}, 'U', UTC_TIMESTAMP(6));
    END IF;
  END IF
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table} FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO ${changes} (mapping, ${key_column}, op, changed_at)
      VALUES (${mapping}, ${key_old}, 'D', UTC_TIMESTAMP(6));
  END IF
