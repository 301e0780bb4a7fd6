-- zcrmsync: nothing to undo on PostgreSQL: SET LOCAL ends with the
-- transaction. A harmless statement keeps the file set the same per dialect.
-- Tokens: none. No parameters.
SELECT 1
