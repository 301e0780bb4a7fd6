-- zcrmsync: removes one sync state entry (a no-op when it is not there).
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name.
DELETE FROM ${state} WHERE name = ?
