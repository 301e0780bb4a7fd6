-- zcrmsync: removes the capture trigger of one mapped table, SQL Server.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${trigger} (a quoted identifier). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger}
