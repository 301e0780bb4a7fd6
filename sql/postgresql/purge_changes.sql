-- zcrmsync: deletes processed changes (at or before the cursor), a bounded
-- batch at a time so a large backlog never holds long locks.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the batch size.
DELETE FROM ${changes}
 WHERE change_id IN (
   SELECT c.change_id FROM ${changes} AS c
    WHERE c.txid < CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id <= ?)
    ORDER BY c.txid, c.change_id
    LIMIT ?)
