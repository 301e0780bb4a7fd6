-- zcrmsync: capture triggers for one mapped table, SQLite 3.38+.
-- Row-level, one per event. A key change is captured as D (old) + I (new); an
-- UPDATE that changes no mapped column captures nothing. Nothing is captured
-- while the agent's flag row is in the suppress table (echo suppression).
-- Tokens: ${table} ${trigger_insert} ${trigger_update} ${trigger_delete}
--   ${changes} ${suppress} (quoted identifiers), ${mapping} (a string
--   literal), ${key_json_new} ${key_json_old} (key as JSON text from NEW /
--   OLD), ${key_same} (OLD and NEW have the same key), ${mapped_same} (no
--   mapped column differs). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, key_json, op) VALUES (${mapping}, ${key_json_new}, 'I');
END
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, key_json, op)
    SELECT ${mapping}, ${key_json_old}, 'D' WHERE NOT (${key_same});
  INSERT INTO ${changes} (mapping, key_json, op)
    SELECT ${mapping}, ${key_json_new}, 'I' WHERE NOT (${key_same});
  INSERT INTO ${changes} (mapping, key_json, op)
    SELECT ${mapping}, ${key_json_new}, 'U' WHERE (${key_same}) AND NOT (${mapped_same});
END
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table}
  WHEN NOT EXISTS (SELECT 1 FROM ${suppress})
BEGIN
  INSERT INTO ${changes} (mapping, key_json, op) VALUES (${mapping}, ${key_json_old}, 'D');
END
