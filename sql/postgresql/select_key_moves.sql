-- zcrmsync: the key changes (K) of one mapping after the push cursor,
-- committed or not yet readable in order: a key whose row is gone is not
-- deleted in Zoho when one of these moves it (its record goes with the move).
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the mapping. Every column is qualified (see read_changes.sql).
SELECT c.keys_json
  FROM ${changes} AS c
 WHERE (c.txid > CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id > ?))
   AND c.mapping = ? AND c.op = 'K'
