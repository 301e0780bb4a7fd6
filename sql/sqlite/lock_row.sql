-- zcrmsync: the current values of one mapped row, by its key: a write-back
-- checks that the row still holds what the merge read, so an ERP edit made
-- meanwhile is never overwritten. No lock clause: the agent's transaction
-- holds SQLite's write lock from its first statement (begin_agent_writes).
-- Tokens: ${columns} (the quoted columns to read), ${table} (the quoted
--   table), ${key_predicate} (one "quoted_key_column = ?" per key column,
--   joined with AND). Parameters: the key values, in key column order.
SELECT ${columns} FROM ${table} WHERE ${key_predicate}
