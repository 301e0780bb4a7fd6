-- zcrmsync: settles one held conflict (conflicts resolve): records which side
-- was taken. The caller has already written the winning value to the other side.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${conflicts} (a quoted identifier). Parameters: 1 resolution ('erp' or
--   'crm'), 2 conflict_id.
UPDATE ${conflicts} SET resolved_at = SYSUTCDATETIME(), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL
