-- zcrmsync: gives the agent lease up, only if this holder still has it, so a
-- standby agent can take it at once instead of waiting for it to expire.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 holder id.
DELETE FROM ${state} WHERE name = ? AND value = ?
