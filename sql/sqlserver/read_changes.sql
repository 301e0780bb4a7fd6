-- zcrmsync: the next changes after the cursor, in commit order: rows whose
-- rowversion is below MIN_ACTIVE_ROWVERSION() belong to finished
-- transactions, and a running one can only add larger rowversions.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 the batch size, 2 cursor rowversion (binary(8)). The last
--   column (key_text in the row-level dialects) is always NULL here: every
--   row holds keys_json.
SELECT TOP (?) change_id, mapping, keys_json, op, changed_at,
       CONVERT(varchar(20), CAST(row_ver AS binary(8)), 1), CAST(NULL AS nvarchar(1))
  FROM ${changes}
 WHERE row_ver < MIN_ACTIVE_ROWVERSION() AND row_ver > ?
 ORDER BY row_ver
