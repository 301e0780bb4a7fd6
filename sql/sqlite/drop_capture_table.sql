-- zcrmsync: removes the capture triggers of one mapped table, SQLite.
-- Tokens: ${trigger_insert} ${trigger_update} ${trigger_update_key}
--   ${trigger_delete} (quoted identifiers). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert}
GO
DROP TRIGGER IF EXISTS ${trigger_update}
GO
DROP TRIGGER IF EXISTS ${trigger_update_key}
GO
DROP TRIGGER IF EXISTS ${trigger_delete}
