-- zcrmsync: the keys waiting after the push cursor, per mapping, for status
-- (a key change, K, counts once).
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id.
SELECT mapping, SUM(CASE WHEN op = 'K' THEN 1 ELSE json_array_length(keys_json::json) END)
  FROM ${changes}
 WHERE txid > CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id > ?)
 GROUP BY mapping
