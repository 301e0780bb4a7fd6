-- zcrmsync: the link of one Zoho record.
-- Times come back in UTC.
-- Tokens: ${links} (a quoted identifier). Parameters: 1 mapping, 2 zoho_id.
SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at AT TIME ZONE 'UTC',
       crm_modified_at AT TIME ZONE 'UTC'
  FROM ${links}
 WHERE mapping = ? AND zoho_id = ?
