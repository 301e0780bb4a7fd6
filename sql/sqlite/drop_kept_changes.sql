-- zcrmsync: the kept changes of a mapping (at or before the cursor), once
-- copied after it by requeue_kept_changes.sql.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the mapping.
DELETE FROM ${changes} WHERE change_id <= ? AND mapping = ?
