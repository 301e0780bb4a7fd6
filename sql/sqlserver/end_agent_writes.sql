-- zcrmsync: ends echo suppression for the session.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. No parameters.
EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = NULL
