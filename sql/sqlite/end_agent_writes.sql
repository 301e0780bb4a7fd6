-- zcrmsync: removes the agent's flag row before COMMIT.
-- Tokens: ${suppress} (a quoted identifier). No parameters.
DELETE FROM ${suppress}
