-- zcrmsync: creates or replaces the links of many ERP rows in one statement
-- (the push writes a batch's links at once; one link goes through it too).
-- Only the (mapping, erp_key) key is replaced: a Zoho id already linked to
-- another key fails the whole statement.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?, ?, ?, ?, ?, ?, ?)
--   per link, no key twice). Parameters per link: zoho_id, external_id,
--   base_values, erp_changed_at, crm_modified_at (UTC), mapping, erp_key.
-- ON DUPLICATE KEY UPDATE fires on the Zoho id's unique key too: there the
-- row found has another erp_key, and the subquery of two rows fails the
-- statement whatever the sql_mode (a NULL would only be a warning outside
-- strict mode). VALUES() is MariaDB's form and still works on MySQL 8.
INSERT INTO ${links} (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES ${rows}
    ON DUPLICATE KEY UPDATE
       erp_key = IF(erp_key = VALUES(erp_key), erp_key, (SELECT 1 UNION ALL SELECT 2)),
       zoho_id = VALUES(zoho_id), external_id = VALUES(external_id),
       base_values = VALUES(base_values), erp_changed_at = VALUES(erp_changed_at),
       crm_modified_at = VALUES(crm_modified_at), updated_at = CURRENT_TIMESTAMP(6)
