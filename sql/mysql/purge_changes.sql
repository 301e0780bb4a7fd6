-- zcrmsync: deletes processed changes (at or before the cursor) of the
-- mappings in the config, a bounded batch at a time. Rows of other mappings
-- (removed from the config) are kept until the mapping is back or the
-- agent's objects are uninstalled.
-- Tokens: ${changes} (a quoted identifier), ${placeholders} (one ? per mapping).
-- Parameters: 1 cursor change_id, then the mapping names, then the batch size.
DELETE FROM ${changes} WHERE change_id <= ? AND mapping IN (${placeholders})
 ORDER BY change_id LIMIT ?
