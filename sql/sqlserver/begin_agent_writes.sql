-- zcrmsync: marks the session's writes as the agent's own, so the capture
-- trigger skips them (echo suppression).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. No parameters.
EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = N'agent'
