-- zcrmsync: the conflicts waiting for a person, oldest first.
-- Tokens: ${conflicts} (a quoted identifier). No parameters.
SELECT conflict_id, mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value
  FROM ${conflicts}
 WHERE resolved_at IS NULL
 ORDER BY conflict_id
