-- zcrmsync: updates the link of one ERP row. The caller inserts the link
-- (insert_link.sql) when this touched no row.
-- Tokens: ${links} (a quoted identifier).
-- Parameters: 1 zoho_id, 2 external_id, 3 base_values, 4 erp_changed_at,
--   5 crm_modified_at (UTC), 6 mapping, 7 erp_key.
UPDATE ${links}
   SET zoho_id = ?, external_id = ?, base_values = ?, erp_changed_at = ?, crm_modified_at = ?,
       updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
 WHERE mapping = ? AND erp_key = ?
