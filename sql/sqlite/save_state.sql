-- zcrmsync: sets one row of the agent's state (a cursor, a watermark, an
-- install snapshot).
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 value.
INSERT INTO ${state} (name, value, updated_at)
VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
