-- zcrmsync: deletes processed changes (at or before the cursor) of the
-- mappings in the config, a bounded batch at a time so a large backlog never
-- holds long locks. Rows of other mappings (removed from the config) are
-- kept until the mapping is back or the agent's objects are uninstalled.
-- Tokens: ${changes} (a quoted identifier), ${placeholders} (one ? per mapping).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   then the mapping names, then the batch size.
DELETE FROM ${changes}
 WHERE change_id IN (
   SELECT c.change_id FROM ${changes} AS c
    WHERE (c.txid < CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id <= ?))
      AND c.mapping IN (${placeholders})
    ORDER BY c.txid, c.change_id
    LIMIT ?)
