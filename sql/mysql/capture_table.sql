-- zcrmsync: capture triggers for one mapped table, MySQL 8 / MariaDB 10.5+.
-- Row-level (the dialect has no statement-level triggers), one per event. A
-- key change is captured as D (old) + I (new); an UPDATE that changes no
-- mapped column captures nothing. Sessions with @zcrmsync_origin = 'agent'
-- are not captured (echo suppression; the agent resets it after each
-- transaction).
-- Tokens: ${table} ${trigger_insert} ${trigger_update} ${trigger_delete}
--   ${changes} (quoted identifiers), ${mapping} (a string literal),
--   ${key_json_new} ${key_json_old} (one key as a JSON array, from NEW / OLD;
--   keys_json holds an array of such keys),
--   ${key_same} (OLD and NEW have the same key), ${mapped_same} (no mapped
--   column differs). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
CREATE TRIGGER ${trigger_insert} AFTER INSERT ON ${table} FOR EACH ROW
  IF COALESCE(@zcrmsync_origin, '') <> 'agent' THEN
    INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
      VALUES (${mapping}, JSON_ARRAY(${key_json_new}), 'I', UTC_TIMESTAMP(6));
  END IF
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
CREATE TRIGGER ${trigger_update} AFTER UPDATE ON ${table} FOR EACH ROW
  IF COALESCE(@zcrmsync_origin, '') <> 'agent' THEN
    IF NOT (${key_same}) THEN
      INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
        VALUES (${mapping}, JSON_ARRAY(${key_json_old}), 'D', UTC_TIMESTAMP(6)),
               (${mapping}, JSON_ARRAY(${key_json_new}), 'I', UTC_TIMESTAMP(6));
    ELSEIF NOT (${mapped_same}) THEN
      INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
        VALUES (${mapping}, JSON_ARRAY(${key_json_new}), 'U', UTC_TIMESTAMP(6));
    END IF;
  END IF
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
GO
CREATE TRIGGER ${trigger_delete} AFTER DELETE ON ${table} FOR EACH ROW
  IF COALESCE(@zcrmsync_origin, '') <> 'agent' THEN
    INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
      VALUES (${mapping}, JSON_ARRAY(${key_json_old}), 'D', UTC_TIMESTAMP(6));
  END IF
