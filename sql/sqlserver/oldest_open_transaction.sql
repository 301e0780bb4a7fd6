-- zcrmsync: when the oldest open transaction started, and the server's time
-- now (for status and diagnostics).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. No parameters.
SELECT MIN(transaction_begin_time), SYSDATETIME() FROM sys.dm_tran_active_transactions
