-- zcrmsync: a mapping that was removed from the config is back: its changes
-- kept behind the cursor (at or before it) are copied after it, in their
-- order, with their ops and times, so the push sends them.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the mapping.
INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
SELECT c.mapping, c.keys_json, c.op, c.changed_at FROM ${changes} AS c
 WHERE (c.txid < CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id <= ?))
   AND c.mapping = ?
 ORDER BY c.txid, c.change_id
