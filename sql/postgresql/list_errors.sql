-- zcrmsync: the parked records not yet resolved, oldest first.
-- Tokens: ${errors} (a quoted identifier). No parameters.
SELECT error_id, mapping, erp_key, zoho_id, direction, status_code, field, message,
       attempts, first_failed_at, last_failed_at
  FROM ${errors}
 WHERE resolved_at IS NULL
 ORDER BY error_id
