-- zcrmsync: creates the links of many ERP rows in one statement (the push
-- links a batch at once), as insert_link.sql does one. A key already linked,
-- or a Zoho id linked twice, fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link). Parameters per link: zoho_id, external_id, base_values,
--   erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
SELECT v.zoho_id, v.external_id, v.base_values,
       CAST(v.erp_changed_at AS timestamp) AT TIME ZONE 'UTC',
       CAST(v.crm_modified_at AS timestamp) AT TIME ZONE 'UTC', v.mapping, v.erp_key
  FROM (VALUES ${rows}) AS v (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                              mapping, erp_key)
