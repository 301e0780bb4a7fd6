-- zcrmsync: queues keys for the push as one change row (the initial load):
-- the push reads each row and creates or updates its CRM record.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier). Parameters: 1 mapping,
--   2 keys_json (a JSON array of keys), 3 the change time
--   (UTC; NULL for now: a key queued again keeps its change's own time).
INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
VALUES (?, ?, N'U', COALESCE(?, SYSUTCDATETIME()))
