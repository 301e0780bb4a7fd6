-- zcrmsync: records a field held under the manual rule, with the base and
-- both sides' values (canonical form), unless the same field of the same
-- record is already waiting for a person.
-- Tokens: ${conflicts} (a quoted identifier).
-- Parameters: 1 mapping, 2 erp_key, 3 zoho_id, 4 field, 5 base_value,
--   6 erp_value, 7 crm_value, 8 mapping, 9 erp_key, 10 field.
INSERT INTO ${conflicts} (mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value)
SELECT ?, ?, ?, ?, ?, ?, ?
 WHERE NOT EXISTS (SELECT 1 FROM ${conflicts}
                    WHERE mapping = ? AND erp_key = ? AND field = ? AND resolved_at IS NULL)
