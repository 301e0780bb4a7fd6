-- zcrmsync: deletes processed changes (at or before the cursor) of the
-- mappings in the config, a bounded batch at a time. Rows of other mappings
-- (removed from the config) are kept until the mapping is back or the
-- agent's objects are uninstalled. The newest row always stays: change ids
-- are rowids (max + 1), and an empty table would hand out ids again from 1.
-- Tokens: ${changes} (a quoted identifier), ${placeholders} (one ? per mapping).
-- Parameters: 1 cursor change_id, then the mapping names, then the batch size.
DELETE FROM ${changes}
 WHERE change_id IN (SELECT change_id FROM ${changes} WHERE change_id <= ?
                         AND mapping IN (${placeholders})
                         AND change_id < (SELECT MAX(change_id) FROM ${changes})
                       ORDER BY change_id LIMIT ?)
