-- zcrmsync: takes or renews the agent lease (a row of the state table) in one
-- atomic statement: when the row is missing, ours, released, or not renewed
-- for the lease's seconds by the DATABASE's clock (UTC). Otherwise changes
-- nothing; the caller then reads the row (load_state.sql) to see who holds it.
-- MySQL assigns left to right: updated_at is decided from the old row, and
-- value follows it (updated_at equals this statement's UTC_TIMESTAMP(6) only
-- when it was just set). VALUES(value) is never read after `value` is
-- assigned: MariaDB 10.11 prepared statements then return the new value.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 holder id,
--   3 lease seconds (integer).
INSERT INTO ${state} (name, value, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE
  updated_at = IF(value = VALUES(value) OR value IS NULL
                  OR updated_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND,
                  UTC_TIMESTAMP(6), updated_at),
  value = IF(updated_at = UTC_TIMESTAMP(6), VALUES(value), value)
