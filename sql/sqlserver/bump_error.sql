-- zcrmsync: a record parked again while its parked row is still open: that
-- row counts the attempt and takes the newest error, instead of a second
-- row for the same record (a pull re-reads its overlap each cycle).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${errors} (a quoted identifier).
-- Parameters: 1 status_code, 2 field, 3 message, 4 mapping, 5 direction,
--   6 erp_key, 7 erp_key, 8 zoho_id, 9 zoho_id (the keys twice: NULL-safe).
UPDATE ${errors}
   SET attempts = attempts + 1, last_failed_at = SYSUTCDATETIME(), status_code = ?, field = ?,
       message = ?
 WHERE mapping = ? AND direction = ? AND resolved_at IS NULL
   AND (erp_key = ? OR (erp_key IS NULL AND ? IS NULL))
   AND (zoho_id = ? OR (zoho_id IS NULL AND ? IS NULL))
