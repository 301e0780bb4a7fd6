-- zcrmsync: removes the capture triggers of one mapped table, PostgreSQL.
-- Tokens: ${table} ${function} ${trigger_insert} ${trigger_update}
--   ${trigger_update_key} ${trigger_delete} (quoted identifiers). No
--   parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger_insert} ON ${table}
GO
DROP TRIGGER IF EXISTS ${trigger_update} ON ${table}
GO
DROP TRIGGER IF EXISTS ${trigger_update_key} ON ${table}
GO
DROP TRIGGER IF EXISTS ${trigger_delete} ON ${table}
GO
DROP FUNCTION IF EXISTS ${function}()
