-- zcrmsync: the kept changes of a mapping (at or before the cursor), once
-- copied after it by requeue_kept_changes.sql.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the mapping.
DELETE FROM ${changes}
 WHERE (txid < CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id <= ?))
   AND mapping = ?
