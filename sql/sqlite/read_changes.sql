-- zcrmsync: the next changes after the cursor. SQLite has one writer at a
-- time, so change ids commit in order.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the batch size.
SELECT change_id, mapping, keys_json, op, strftime('%Y-%m-%d %H:%M:%f', changed_at),
       CAST(change_id AS TEXT), key_text
  FROM ${changes}
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ?
