-- zcrmsync: the links of many ERP rows of one mapping at once (the push
-- reads a batch's links with a few statements instead of one per row), as
-- load_link.sql returns them; a key with no link returns no row.
-- Tokens: ${links} (a quoted identifier), ${placeholders} (one ? per key).
-- Parameters: 1 mapping, then the erp_keys.
SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM ${links}
 WHERE mapping = ? AND erp_key IN (${placeholders})
