-- zcrmsync: the next changes after the cursor, in commit order. Only rows of
-- transactions older than every running one (txid below the snapshot's xmin)
-- are returned: a transaction still running can only add rows with a larger
-- txid, so ordering by (txid, change_id) never skips a late commit.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the batch size. The last column (key_text in the row-level dialects) is
--   always NULL here: every row holds keys_json.
SELECT change_id, mapping, keys_json, op, changed_at AT TIME ZONE 'UTC', txid::text,
       NULL::text
  FROM ${changes}
 WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
   AND (txid > CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id > ?))
 ORDER BY txid, change_id
 LIMIT ?
