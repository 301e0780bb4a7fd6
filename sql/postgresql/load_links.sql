-- zcrmsync: the links of many ERP rows of one mapping at once (the push
-- reads a batch's links with a few statements instead of one per row), as
-- load_link.sql returns them; a key with no link returns no row.
-- One index probe per key (LATERAL ... LIMIT 1): a plain IN list is planned
-- as a scan of the whole mapping while the links table has no statistics
-- yet (each listed key guessed at 0.5% of the rows), as after a first load.
-- Tokens: ${links} (a quoted identifier), ${rows} (one (?) per key).
-- Parameters: 1 mapping, then the erp_keys.
SELECT l.erp_key, l.zoho_id, l.external_id, l.base_values,
       l.erp_changed_at AT TIME ZONE 'UTC', l.crm_modified_at AT TIME ZONE 'UTC'
  FROM (SELECT CAST(? AS text) AS mapping) m
 CROSS JOIN (VALUES ${rows}) AS k (erp_key)
 CROSS JOIN LATERAL (SELECT * FROM ${links}
                      WHERE mapping = m.mapping AND erp_key = k.erp_key LIMIT 1) l
