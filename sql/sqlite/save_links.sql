-- zcrmsync: creates or replaces the links of many ERP rows in one statement
-- (the push writes a batch's links at once; one link goes through it too).
-- Only the (mapping, erp_key) key is replaced: a Zoho id already linked to
-- another key fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link, no key twice). Parameters per link: zoho_id, external_id,
--   base_values, erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
-- The conflict target names the primary key: any other unique conflict
-- aborts the statement.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES ${rows}
    ON CONFLICT (mapping, erp_key) DO UPDATE
   SET zoho_id = excluded.zoho_id, external_id = excluded.external_id,
       base_values = excluded.base_values, erp_changed_at = excluded.erp_changed_at,
       crm_modified_at = excluded.crm_modified_at,
       updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
