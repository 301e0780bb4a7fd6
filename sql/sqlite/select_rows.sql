-- zcrmsync: the current values of many mapped rows at once, by a one-column
-- key (the push reads a batch with one statement instead of one per row).
-- Tokens: ${columns} (the quoted columns to read, the key first), ${table}
--   (the quoted table), ${key_column} (the quoted key column),
--   ${placeholders} (one ? per key). Parameters: the keys.
SELECT ${columns} FROM ${table} WHERE ${key_column} IN (${placeholders})
