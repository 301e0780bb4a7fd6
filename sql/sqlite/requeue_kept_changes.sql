-- zcrmsync: a mapping that was removed from the config is back: its changes
-- kept behind the cursor (at or before it) are copied after it, in their
-- order, with their ops and times, so the push sends them.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the mapping.
INSERT INTO ${changes} (mapping, keys_json, key_text, op, changed_at)
SELECT mapping, keys_json, key_text, op, changed_at FROM ${changes}
 WHERE change_id <= ? AND mapping = ?
 ORDER BY change_id
