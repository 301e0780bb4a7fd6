-- zcrmsync: creates the link of one ERP row. A second ERP row linked to the
-- same Zoho record fails on the unique (mapping, zoho_id) index.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${links} (a quoted identifier).
-- Parameters: 1 zoho_id, 2 external_id, 3 base_values, 4 erp_changed_at,
--   5 crm_modified_at (UTC), 6 mapping, 7 erp_key.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES (?, ?, ?, ?, ?, ?, ?)
