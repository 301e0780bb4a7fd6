-- zcrmsync: takes or renews the agent lease (a row of the state table) in one
-- atomic statement: when the row is missing, ours, released, or not renewed
-- for the lease's seconds by the database's clock (UTC text, which compares
-- in time order). Otherwise changes nothing; the caller then reads the row
-- (load_state.sql) to see who holds it.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 holder id,
--   3 lease seconds (integer).
INSERT INTO ${state} (name, value, updated_at)
VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
 WHERE ${state}.value = excluded.value OR ${state}.value IS NULL
    OR ${state}.updated_at < strftime('%Y-%m-%d %H:%M:%f', 'now',
                                      '-' || CAST(? AS integer) || ' seconds')
