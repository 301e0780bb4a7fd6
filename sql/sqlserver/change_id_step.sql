-- zcrmsync: the step between change ids and the first of them. Read only by
-- the MySQL reader, which waits at gaps in the ids; SQL Server reads in
-- rowversion order below MIN_ACTIVE_ROWVERSION().
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. No parameters.
SELECT 1, 1
