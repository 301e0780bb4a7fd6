-- zcrmsync: deletes processed changes (at or before the cursor), a bounded
-- batch at a time.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the batch size.
DELETE FROM ${changes} WHERE change_id <= ? ORDER BY change_id LIMIT ?
