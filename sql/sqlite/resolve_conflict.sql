-- zcrmsync: settles one held conflict (conflicts resolve): records which side
-- was taken. The caller has already written the winning value to the other side.
-- Tokens: ${conflicts} (a quoted identifier). Parameters: 1 resolution ('erp' or
--   'crm'), 2 conflict_id.
UPDATE ${conflicts} SET resolved_at = strftime('%Y-%m-%d %H:%M:%f', 'now'), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL
