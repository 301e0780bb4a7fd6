-- zcrmsync: deletes processed changes (at or before the cursor), a bounded
-- batch at a time so a large backlog never holds long locks.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the batch size.
DELETE FROM ${changes}
 WHERE change_id IN (
   SELECT change_id FROM ${changes}
    WHERE txid < CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id <= ?)
    ORDER BY txid, change_id
    LIMIT ?)
