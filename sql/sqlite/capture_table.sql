-- zcrmsync: capture triggers for one mapped table, SQLite 3.38+.
-- Row-level. Updates have two triggers, each with one INSERT and a WHEN
-- clause, and fire only for UPDATE OF a key or mapped column, so an update of
-- other columns costs nothing. A key change is captured as D (old) + I (new);
-- an UPDATE that changes no mapped column captures nothing. Nothing is
-- captured while the agent's flag row is in the suppress table (echo
-- suppression).
-- Tokens: ${table} ${trigger_insert} ${trigger_update} ${trigger_update_key}
--   ${trigger_delete} ${changes} ${suppress} (quoted identifiers), ${mapping}
--   (a string literal), ${key_json_new} ${key_json_old} (one key as a JSON
--   array, from NEW / OLD), ${key_same} (OLD and NEW have the same key),
--   ${mapped_same} (no mapped column differs), ${update_columns} (the key
--   and mapped columns, quoted, for UPDATE OF). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, keys_json, op)
    VALUES (${mapping}, json_array(${key_json_new}), 'I');
END
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE OF ${update_columns} ON ${table}
  WHEN (${key_same}) AND NOT (${mapped_same}) AND NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, keys_json, op)
    VALUES (${mapping}, json_array(${key_json_new}), 'U');
END
GO
DROP TRIGGER IF EXISTS ${trigger_update_key}
GO
CREATE TRIGGER ${trigger_update_key} AFTER UPDATE OF ${update_columns} ON ${table}
  WHEN NOT (${key_same}) AND NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, keys_json, op)
    VALUES (${mapping}, json_array(${key_json_old}), 'D'),
           (${mapping}, json_array(${key_json_new}), 'I');
END
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, keys_json, op)
    VALUES (${mapping}, json_array(${key_json_old}), 'D');
END
