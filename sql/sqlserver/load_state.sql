-- zcrmsync: reads one row of the agent's state.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name.
SELECT value FROM ${state} WHERE name = ?
