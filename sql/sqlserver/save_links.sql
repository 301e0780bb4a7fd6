-- zcrmsync: creates or replaces the links of many ERP rows in one statement
-- (the push writes a batch's links at once; one link goes through it too).
-- Only the (mapping, erp_key) key is replaced: a Zoho id already linked to
-- another key fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link, no key twice). Parameters per link: zoho_id, external_id,
--   base_values, erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
-- No HOLDLOCK: one agent at a time writes links (the lease), so no other
-- writer races the match and the insert. Not executed here (no SQL
-- Server): grammar-checked only.
MERGE INTO ${links} AS t
USING (VALUES ${rows}) AS v (zoho_id, external_id, base_values, erp_changed_at,
                             crm_modified_at, mapping, erp_key)
   ON t.mapping = v.mapping AND t.erp_key = v.erp_key
 WHEN MATCHED THEN
      UPDATE SET zoho_id = v.zoho_id, external_id = v.external_id, base_values = v.base_values,
                 erp_changed_at = v.erp_changed_at, crm_modified_at = v.crm_modified_at,
                 updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN
      INSERT (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at, mapping,
              erp_key)
      VALUES (v.zoho_id, v.external_id, v.base_values, v.erp_changed_at, v.crm_modified_at,
              v.mapping, v.erp_key);
