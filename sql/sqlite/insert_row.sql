-- zcrmsync: creates one ERP row from a new CRM record, inside the agent's own
-- transaction (echo suppression on), then reads the row's key back as text,
-- the same text the capture triggers make of it (the key may come from the
-- database: an INTEGER PRIMARY KEY is the rowid). Two statements: the SQLite
-- ODBC driver returns no rows for INSERT ... RETURNING.
-- Tokens: ${table} (the quoted table), ${columns} (the quoted columns written),
--   ${placeholders} (one ? per column), ${key_texts} (each key column as text).
-- Parameters: the values, in column order (first statement only).
INSERT INTO ${table} (${columns}) VALUES (${placeholders})
GO
SELECT ${key_texts} FROM ${table} WHERE rowid = last_insert_rowid()
