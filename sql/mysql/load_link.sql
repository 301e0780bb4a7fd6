-- zcrmsync: the link of one ERP row: its Zoho id, external id, the merge
-- base (last-synced values) and the last change times on each side.
-- Tokens: ${links} (a quoted identifier). Parameters: 1 mapping, 2 erp_key.
SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM ${links}
 WHERE mapping = ? AND erp_key = ?
