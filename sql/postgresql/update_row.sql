-- zcrmsync: writes CRM values back into one mapped row, by its key. Runs
-- inside the agent's own transaction (echo suppression on), so the capture
-- triggers skip it.
-- Tokens: ${table} (the quoted table), ${assignments} (one "quoted_column = ?"
--   per column written), ${key_predicate} (one "quoted_key_column = ?" per key
--   column, joined with AND). Parameters: the new values, then the key values.
UPDATE ${table} SET ${assignments} WHERE ${key_predicate}
