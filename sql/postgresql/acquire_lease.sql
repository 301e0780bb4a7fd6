-- zcrmsync: takes or renews the agent lease (a row of the state table) in one
-- atomic statement: when the row is missing, ours, released, or not renewed
-- for the lease's seconds by the DATABASE's clock. Otherwise changes nothing;
-- the caller then reads the row (load_state.sql) to see who holds it.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 holder id,
--   3 lease seconds (integer).
INSERT INTO ${state} (name, value, updated_at) VALUES (?, ?, clock_timestamp())
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
 WHERE ${state}.value = EXCLUDED.value OR ${state}.value IS NULL
    OR ${state}.updated_at < clock_timestamp() - CAST(? AS integer) * INTERVAL '1 second'
