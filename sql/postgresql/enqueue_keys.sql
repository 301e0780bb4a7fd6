-- zcrmsync: queues keys for the push as one change row (the initial load):
-- the push reads each row and creates or updates its CRM record.
-- Tokens: ${changes} (a quoted identifier). Parameters: 1 mapping,
--   2 keys_json (a JSON array of keys).
INSERT INTO ${changes} (mapping, keys_json, op) VALUES (?, ?, 'U')
