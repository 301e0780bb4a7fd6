-- zcrmsync: the next changes after the cursor, by change id. AUTO_INCREMENT
-- ids can commit out of order, so the reader stops at a gap in the ids and
-- waits for it to fill (see change_capture/change_reader.cpp).
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the batch size.
SELECT change_id, mapping, keys_json, op, changed_at, CAST(change_id AS CHAR), key_text
  FROM ${changes}
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ?
