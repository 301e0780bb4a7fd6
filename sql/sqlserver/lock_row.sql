-- zcrmsync: the current values of one mapped row, by its key, locked until
-- the agent's transaction ends: a write-back checks that the row still holds
-- what the merge read, so an ERP edit made meanwhile is never overwritten.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${columns} (the quoted columns to read), ${table} (the quoted
--   table), ${key_predicate} (one "quoted_key_column = ?" per key column,
--   joined with AND). Parameters: the key values, in key column order.
SELECT ${columns} FROM ${table} WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE ${key_predicate}
