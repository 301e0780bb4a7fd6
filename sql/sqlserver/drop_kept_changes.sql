-- zcrmsync: the kept changes of a mapping (at or before the cursor), once
-- copied after it by requeue_kept_changes.sql.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor rowversion (binary(8)), 2 the mapping.
DELETE FROM ${changes} WHERE row_ver <= ? AND mapping = ?
