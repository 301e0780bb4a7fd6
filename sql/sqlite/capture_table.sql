-- zcrmsync: capture triggers for one mapped table, SQLite 3.38+.
-- Row-level. Updates have two triggers, each with one INSERT and a WHEN
-- clause: one fires only for UPDATE OF a mapped column, the other (key
-- changes) only for UPDATE OF a key column, so an update of other columns
-- costs nothing. A key change is captured as K, keys_json holding [old key,
-- new key] (the agent moves the row's CRM record to the new key); an UPDATE
-- that changes no mapped column captures nothing. Nothing is
-- captured while the agent's flag row is in the suppress table (echo
-- suppression).
-- Kept cheap per row: the key of a one-column key goes in as plain text
-- (key_text; the reader makes it JSON), a composite key as one JSON array in
-- keys_json.
-- Tokens: ${table} ${trigger_insert} ${trigger_update} ${trigger_update_key}
--   ${trigger_delete} ${changes} ${suppress} (quoted identifiers), ${mapping}
--   (a string literal), ${key_column} (key_text or keys_json), ${key_new}
--   ${key_old} (the value for it, from NEW / OLD), ${key_change} (the JSON
--   array [old key, new key] of a K row), ${key_same} (OLD and NEW
--   have the same key), ${mapped_same} (no mapped column differs),
--   ${update_columns} (the mapped columns, or the key columns when none is
--   mapped) and ${update_key_columns} (the key columns), quoted, for UPDATE
--   OF. No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, ${key_column}, op)
    VALUES (${mapping}, ${key_new}, 'I');
END
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE OF ${update_columns} ON ${table}
  WHEN (${key_same}) AND NOT (${mapped_same}) AND NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, ${key_column}, op)
    VALUES (${mapping}, ${key_new}, 'U');
END
GO
DROP TRIGGER IF EXISTS ${trigger_update_key}
GO
CREATE TRIGGER ${trigger_update_key} AFTER UPDATE OF ${update_key_columns} ON ${table}
  WHEN NOT (${key_same}) AND NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, keys_json, op)
    VALUES (${mapping}, ${key_change}, 'K');
END
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, ${key_column}, op)
    VALUES (${mapping}, ${key_old}, 'D');
END
