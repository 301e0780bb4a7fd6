-- zcrmsync: reads one row of the agent's state.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name.
SELECT value FROM ${state} WHERE name = ?
