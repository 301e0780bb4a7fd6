-- zcrmsync: sets one row of the agent's state (a cursor, a watermark, an
-- install snapshot).
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 value.
INSERT INTO ${state} (name, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)
