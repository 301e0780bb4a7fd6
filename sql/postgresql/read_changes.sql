-- zcrmsync: the next changes after the cursor, in commit order. Only rows of
-- transactions older than every running one (txid below the snapshot's xmin)
-- are returned: a transaction still running can only add rows with a larger
-- txid, so ordering by (txid, change_id) never skips a late commit.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor txid (text), 2 cursor txid (text), 3 cursor change_id,
--   4 the batch size. The last column (key_text in the row-level dialects) is
--   always NULL here: every row holds keys_json.
-- Every column is qualified: PostgreSQL resolves a bare name in ORDER BY to
-- the select list first, and txid::text is named txid there, so ORDER BY
-- txid sorted by the text ('1000' before '993') and the cursor skipped rows.
SELECT c.change_id, c.mapping, c.keys_json, c.op, c.changed_at AT TIME ZONE 'UTC',
       c.txid::text AS txid_text, NULL::text
  FROM ${changes} AS c
 WHERE c.txid < pg_snapshot_xmin(pg_current_snapshot())
   AND (c.txid > CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id > ?))
 ORDER BY c.txid, c.change_id
 LIMIT ?
