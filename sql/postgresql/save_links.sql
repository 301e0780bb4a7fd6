-- zcrmsync: creates or replaces the links of many ERP rows in one statement
-- (the push writes a batch's links at once; one link goes through it too).
-- Only the (mapping, erp_key) key is replaced: a Zoho id already linked to
-- another key fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link, no key twice). Parameters per link: zoho_id, external_id,
--   base_values, erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
-- ON CONFLICT probes the primary key for each row whatever the statistics.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
SELECT v.zoho_id, v.external_id, v.base_values,
       CAST(v.erp_changed_at AS timestamp) AT TIME ZONE 'UTC',
       CAST(v.crm_modified_at AS timestamp) AT TIME ZONE 'UTC', v.mapping, v.erp_key
  FROM (VALUES ${rows}) AS v (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                              mapping, erp_key)
    ON CONFLICT (mapping, erp_key) DO UPDATE
   SET zoho_id = EXCLUDED.zoho_id, external_id = EXCLUDED.external_id,
       base_values = EXCLUDED.base_values, erp_changed_at = EXCLUDED.erp_changed_at,
       crm_modified_at = EXCLUDED.crm_modified_at, updated_at = clock_timestamp()
