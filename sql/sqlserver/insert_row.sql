-- zcrmsync: creates one ERP row from a new CRM record, inside the agent's own
-- transaction (echo suppression on), and returns the row's key as text, the
-- same text the capture triggers make of it (the key may come from the
-- database's identity or default).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${table} (the quoted table), ${columns} (the quoted columns written),
--   ${placeholders} (one ? per column), ${key_texts} (each key column as text).
-- Parameters: the values, in column order.
INSERT INTO ${table} (${columns}) OUTPUT ${key_texts} VALUES (${placeholders})
