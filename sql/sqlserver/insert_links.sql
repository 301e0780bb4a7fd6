-- zcrmsync: creates the links of many ERP rows in one statement (the push
-- links a batch at once), as insert_link.sql does one. A key already linked,
-- or a Zoho id linked twice, fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link). Parameters per link: zoho_id, external_id, base_values,
--   erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES ${rows}
