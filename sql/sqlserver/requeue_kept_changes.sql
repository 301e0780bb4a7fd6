-- zcrmsync: a mapping that was removed from the config is back: its changes
-- kept behind the cursor (at or before it) are copied after it, in their
-- order, with their ops and times, so the push sends them.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor rowversion (binary(8)), 2 the mapping.
INSERT INTO ${changes} (mapping, keys_json, op, changed_at)
SELECT mapping, keys_json, op, changed_at FROM ${changes}
 WHERE row_ver <= ? AND mapping = ?
 ORDER BY row_ver
