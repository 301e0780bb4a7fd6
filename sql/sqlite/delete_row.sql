-- zcrmsync: deletes one mapped row by its key, after its CRM record was
-- deleted (deletes: propagate). Runs inside the agent's own transaction (echo
-- suppression on), so the capture triggers skip it.
-- Tokens: ${table} (the quoted table), ${key_predicate} (one
--   "quoted_key_column = ?" per key column, joined with AND).
--   Parameters: the key values.
DELETE FROM ${table} WHERE ${key_predicate}
