-- zcrmsync: creates one ERP row from a new CRM record, inside the agent's own
-- transaction (echo suppression on), and returns the row's key as text, the
-- same text the capture triggers make of it (the key may come from the
-- database's identity or default).
-- RETURNING needs MariaDB 10.5+; MySQL 8 has no INSERT ... RETURNING, so
-- there a CRM record cannot create an ERP row (the error says so).
-- Tokens: ${table} (the quoted table), ${columns} (the quoted columns written),
--   ${placeholders} (one ? per column), ${key_texts} (each key column as text).
-- Parameters: the values, in column order.
INSERT INTO ${table} (${columns}) VALUES (${placeholders}) RETURNING ${key_texts}
